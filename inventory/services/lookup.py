"""What a scanned code means (a product's own barcode, or a scale barcode carrying a weight and/or
an amount) and what a line of it costs (DESIGN rule 8)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import UnknownProduct
from core.money import Money
from inventory.models import Product
from inventory.services.pricing import charity_unit_price, line_amount, qty_to_milli
from inventory.services.products import get_product
from inventory.services.scale import parse_scale_code

_DEFAULTS = Settings()


@dataclass(frozen=True)
class LinePrice:
    """A line's prices: unit list and unit price, the totals, and the discount shown."""

    unit_list: Money
    unit_price: Money
    list_total: Money
    total: Money
    discount: Money


def price_line(product: Product, qty: Decimal, *, charity: bool) -> LinePrice:
    """A line of `qty` of `product`: the unit charity price (when `charity`) times the quantity,
    rounded half up to the fen for weighed goods; discount = list total - total."""
    qty_to_milli(qty, whole=not product.weighed)
    qty = Decimal(qty)
    unit_list = product.list_price
    unit_price = charity_unit_price(unit_list, product.discount_rate) if charity else unit_list
    list_total = line_amount(unit_list, qty)
    total = line_amount(unit_price, qty)
    return LinePrice(unit_list, unit_price, list_total, total, list_total - total)


@dataclass(frozen=True)
class Scan:
    """What a scanned code means: the product, and for scale barcodes the weight and/or amount."""

    product: Product
    qty: Decimal | None
    amount: Money | None


def lookup(session: Session, code: str, *, settings: Settings | None = None) -> Scan:
    """The product behind a scanned code: its own barcode first (an index hit), else a scale
    barcode by the `[inventory]` layout. A price-carrying scale code also gets the weight it
    implies (amount / price per kg, three decimals). Unknown: UnknownProduct naming the code."""
    text = (code or "").strip()
    product = get_product(session, text) if text else None
    if product is not None:
        return Scan(product=product, qty=None, amount=None)
    parsed = parse_scale_code(text, (settings or _DEFAULTS).inventory) if text else None
    if parsed is not None:
        product = session.scalar(select(Product).where(Product.plu == parsed.plu))
        if product is None:
            raise UnknownProduct(f"电子秤条码 {text} 的商品码 {parsed.plu} 未登记")
        qty = parsed.weight
        if qty is None and parsed.amount is not None and product.list_price_fen > 0:
            qty = (Decimal(parsed.amount.fen) / product.list_price_fen).quantize(
                Decimal("0.001"), rounding=ROUND_HALF_UP
            )
        return Scan(product=product, qty=qty, amount=parsed.amount)
    raise UnknownProduct(f"未找到条码为 {text or '（空）'} 的商品")


def price_scan(scan: Scan, *, charity: bool) -> LinePrice:
    """A line for a scan. A scale label that printed an amount is the list total as printed;
    the charity total is that amount times (1 - rate), half up. Otherwise `price_line(qty)`."""
    product = scan.product
    if scan.amount is None:
        return price_line(
            product, scan.qty if scan.qty is not None else Decimal(1), charity=charity
        )
    unit_list = product.list_price
    unit_price = charity_unit_price(unit_list, product.discount_rate) if charity else unit_list
    list_total = scan.amount
    total = charity_unit_price(list_total, product.discount_rate) if charity else list_total
    return LinePrice(unit_list, unit_price, list_total, total, list_total - total)
