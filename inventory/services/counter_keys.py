"""The counter's own catalog settings: the quick-key grid of goods without a barcode, and
open-price items (a price typed at the counter, within bounds, above a threshold only with a
supervisor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.errors import ValidationError
from core.money import Money
from inventory.models import Product
from inventory.services.lookup import LinePrice
from inventory.services.pricing import charity_unit_price, line_amount, qty_to_milli

MAX_QUICK_KEYS = 40


@dataclass(frozen=True)
class CounterKeys:
    """What the back office sets for one product: its quick key (1..40, None: not on the grid),
    and whether its price is typed at the counter, up to `max_price`, above `supervisor_above`
    with a supervisor."""

    quick_key: int | None = None
    open_price: bool = False
    max_price: Money | None = None
    supervisor_above: Money | None = None


def set_counter_keys(
    session: Session, product: Product, keys: CounterKeys, *, at: datetime, actor: Actor
) -> Product:
    """Save a product's quick key and open-price settings (flushes only). A key taken by another
    product, a key outside 1..40, an open price without its upper bound, or a threshold above the
    bound are refused, naming the product and the value."""
    name = f"{product.name}（{product.barcode}）"
    if keys.quick_key is not None:
        if not 1 <= keys.quick_key <= MAX_QUICK_KEYS:
            raise ValidationError(
                f"{name}：快捷键位置应为 1 至 {MAX_QUICK_KEYS}，实际为 {keys.quick_key}"
            )
        taken = session.scalar(
            select(Product).where(Product.quick_key == keys.quick_key, Product.id != product.id)
        )
        if taken is not None:
            raise ValidationError(
                f"{name}：快捷键 {keys.quick_key} 已给了 {taken.name}（{taken.barcode}）"
            )
    if keys.open_price:
        if keys.max_price is None or keys.max_price.fen <= 0:
            raise ValidationError(f"{name}：手工定价商品须填写最高单价（大于 0）")
        if keys.supervisor_above is not None and keys.supervisor_above > keys.max_price:
            raise ValidationError(
                f"{name}：需店长授权的单价 {keys.supervisor_above.format()} "
                f"高于最高单价 {keys.max_price.format()}"
            )
    product.quick_key = keys.quick_key
    product.open_price = keys.open_price
    product.open_price_max_fen = keys.max_price.fen if keys.open_price and keys.max_price else None
    product.open_price_supervisor_fen = (
        keys.supervisor_above.fen if keys.open_price and keys.supervisor_above else None
    )
    product.updated_at = at
    session.flush()
    return product


def quick_key_products(session: Session) -> list[Product]:
    """The terminal's grid: active products with a quick key, by key."""
    query = (
        select(Product)
        .where(Product.quick_key.is_not(None), Product.active.is_(True))
        .order_by(Product.quick_key)
    )
    return list(session.scalars(query))


def needs_supervisor(product: Product, price: Money) -> bool:
    """A typed price above the product's threshold needs a supervisor's authorisation."""
    limit = product.open_price_supervisor_fen
    return limit is not None and price.fen > limit


def price_open_line(
    product: Product, unit_list: Money, qty: Decimal, *, charity: bool, line: int = 1
) -> LinePrice:
    """A line of an open-price product at the typed list price `unit_list` (the charity rate
    applies as to any product); ValidationError outside 0.01 .. the product's upper bound."""
    if not product.open_price:
        raise ValidationError(f"第 {line} 行：{product.name} 不是手工定价商品，不能改价")
    ceiling = Money(product.open_price_max_fen or 0)
    if unit_list.fen <= 0 or unit_list > ceiling:
        raise ValidationError(
            f"第 {line} 行：{product.name} 的单价 {unit_list.format()} 不在 ￥0.01 至 "
            f"{ceiling.format()} 之间"
        )
    qty_to_milli(qty, whole=not product.weighed)
    unit_price = charity_unit_price(unit_list, product.discount_rate) if charity else unit_list
    list_total = line_amount(unit_list, qty)
    total = line_amount(unit_price, qty)
    return LinePrice(unit_list, unit_price, list_total, total, list_total - total)
