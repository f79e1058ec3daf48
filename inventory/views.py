"""The products JSON API (lookup, search, price changes, receipts, counts, write-offs) and the
back-office pages for products and stock (supervisor), including printable shelf labels."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint
from pydantic import Field, field_validator

from core.auth import Role
from core.errors import DomainError, UnknownProduct
from core.money import Money, MoneyError, parse_decimal
from core.web import ApiBlueprint, ApiModel, current_actor, db_session, now, settings
from inventory.models import Product, StockMovement
from inventory.pricing import format_qty, format_rate, parse_rate
from inventory.services import (
    Scan,
    count_stock,
    get_product,
    lookup,
    movements_of,
    record_movement,
    search_products,
    update_product,
)

bp = Blueprint("inventory", __name__, url_prefix="/inventory", template_folder="templates")
api = ApiBlueprint("inventory_api", __name__, tag="inventory")

_SUPERVISOR = (Role.SUPERVISOR,)

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("商品", "inventory.products", _SUPERVISOR),
    ("入库", "inventory.receive", _SUPERVISOR),
    ("盘点", "inventory.stocktake", _SUPERVISOR),
    ("库存报表", "inventory.reports", _SUPERVISOR),
]


# --- API models ------------------------------------------------------------------------------


def stock_value(milli: int) -> int | str:
    """Whole quantities as integers (pieces), others as text with three decimals (kg)."""
    return milli // 1000 if milli % 1000 == 0 else format_qty(milli)


class ProductAnswer(ApiModel):
    barcode: str
    name: str
    spec: str
    unit: str
    list_price: str
    charity_price: str
    discount_rate: str
    stock: int | str
    clothing: bool
    category: str
    weighed: bool
    active: bool
    qty: str | None = Field(default=None, description="称重条码中的重量（kg）")
    amount: str | None = Field(default=None, description="称重条码中的金额")

    @classmethod
    def of(cls, product: Product, scan: Scan | None = None) -> ProductAnswer:
        return cls(
            barcode=product.barcode,
            name=product.name,
            spec=product.spec,
            unit=product.unit,
            list_price=str(product.list_price),
            charity_price=str(product.charity_price),
            discount_rate=format_rate(product.discount_rate),
            stock=stock_value(product.stock_milli),
            clothing=product.clothing,
            category=product.category,
            weighed=product.weighed,
            active=product.active,
            qty=None if scan is None or scan.qty is None else str(scan.qty),
            amount=None if scan is None or scan.amount is None else str(scan.amount),
        )


class ProductList(ApiModel):
    items: list[ProductAnswer]


class SearchQuery(ApiModel):
    q: str = Field(default="", max_length=100)
    clothing: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)


MAX_QTY = Decimal(1_000_000)
MAX_AMOUNT = Money(100_000_000)  # ￥1,000,000.00


def _checked_qty(value: int | str, what: str) -> int | str:
    """Validator body: a quantity (at most three decimals) within ±MAX_QTY, else ValueError."""
    try:
        qty = parse_decimal(value, places=3, what=what)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None
    if abs(qty) > MAX_QTY:
        raise ValueError(f"{what}超出范围（不超过 {MAX_QTY}），实际为 {value}")
    return value


def _checked_amount(value: str | None, what: str) -> str | None:
    """Validator body: a non-negative amount with at most two decimals, up to MAX_AMOUNT."""
    if value is None:
        return None
    try:
        amount = Money.parse(value)
    except MoneyError as exc:
        raise ValueError(f"{what}：{exc}") from None
    if amount.is_negative or amount > MAX_AMOUNT:
        raise ValueError(f"{what}应在 0 至 {MAX_AMOUNT} 之间，实际为 {value}")
    return value


class PriceChange(ApiModel):
    list_price: str | None = None
    discount_rate: str | None = None
    reason: str = Field(default="调价", max_length=200)

    @field_validator("list_price")
    @classmethod
    def _check_price(cls, value: str | None) -> str | None:
        return _checked_amount(value, "标价")

    @field_validator("discount_rate")
    @classmethod
    def _check_rate(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            rate = parse_rate(value)
        except DomainError as exc:
            raise ValueError(exc.message) from None
        except ArithmeticError:  # an exponent too large for Decimal
            rate = None
        if rate is None or not 0 <= rate < 1:
            raise ValueError(f"折扣率应在 0 至 1 之间（如 0.05 或 5%），实际为 {value[:20]}")
        return value


class ReceiptRequest(ApiModel):
    qty: int | str
    unit_cost: str | None = None
    supplier: str | None = Field(default=None, max_length=100)
    donor: str | None = Field(default=None, max_length=100)
    estimated_value: str | None = None
    reference: str | None = Field(default=None, max_length=64)

    @field_validator("qty")
    @classmethod
    def _check_qty(cls, value: int | str) -> int | str:
        return _checked_qty(value, "数量")

    @field_validator("unit_cost")
    @classmethod
    def _check_cost(cls, value: str | None) -> str | None:
        return _checked_amount(value, "单价")

    @field_validator("estimated_value")
    @classmethod
    def _check_value(cls, value: str | None) -> str | None:
        return _checked_amount(value, "估值")


class CountRequest(ApiModel):
    counted: int | str
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("counted")
    @classmethod
    def _check_counted(cls, value: int | str) -> int | str:
        return _checked_qty(value, "盘点数")


class WriteoffRequest(ApiModel):
    qty: int | str
    reason: str = Field(min_length=1, max_length=200)

    @field_validator("qty")
    @classmethod
    def _check_qty(cls, value: int | str) -> int | str:
        return _checked_qty(value, "数量")


class MovementAnswer(ApiModel):
    id: int
    kind: str
    qty: str
    at: str
    reason: str | None
    reference: str | None
    actor: str

    @classmethod
    def of(cls, m: StockMovement) -> MovementAnswer:
        return cls(
            id=m.id,
            kind=m.kind,
            qty=format_qty(m.qty_milli),
            at=m.at.isoformat(),
            reason=m.reason,
            reference=m.reference,
            actor=m.actor_name,
        )


class MovementList(ApiModel):
    product: ProductAnswer
    items: list[MovementAnswer]


def _product(barcode: str) -> Product:
    product = get_product(db_session(), barcode)
    if product is None:
        raise UnknownProduct(f"未找到条码为 {barcode} 的商品")
    return product


def _qty(value: int | str, what: str) -> Decimal:
    return parse_decimal(str(value), places=3, what=what)


# --- API operations --------------------------------------------------------------------------


@api.operation(
    "/products/<barcode>",
    summary="按条码查商品（含电子秤条码）：标价、慈善价、库存",
    roles=(),
    response=ProductAnswer,
    errors=("unknown_product",),
)
def product_by_barcode(barcode: str) -> ProductAnswer:
    scan = lookup(db_session(), barcode, settings=settings())
    return ProductAnswer.of(scan.product, scan if scan.qty or scan.amount else None)


@api.operation(
    "/products",
    summary="按品名、规格或条码搜索商品",
    roles=(),
    query=SearchQuery,
    response=ProductList,
)
def product_search(query: SearchQuery) -> ProductList:
    found = search_products(db_session(), query.q, clothing=query.clothing, limit=query.limit)
    return ProductList(items=[ProductAnswer.of(p) for p in found])


@api.operation(
    "/products/<barcode>/price",
    method="POST",
    summary="调整标价或慈善折扣率（记为带日期的价格变动）",
    roles=_SUPERVISOR,
    body=PriceChange,
    response=ProductAnswer,
    errors=("unknown_product", "validation_error"),
)
def product_price(barcode: str, body: PriceChange) -> ProductAnswer:
    session = db_session()
    product = _product(barcode)
    update_product(
        session,
        product,
        at=now(),
        actor=current_actor(),
        settings=settings(),
        reason=body.reason,
        list_price=None if body.list_price is None else Money.parse(body.list_price),
        discount_rate=None if body.discount_rate is None else parse_rate(body.discount_rate),
    )
    session.commit()
    return ProductAnswer.of(product)


@api.operation(
    "/products/<barcode>/receipts",
    method="POST",
    summary="入库（采购带单价和供应商，捐赠带捐赠方和估值）",
    roles=_SUPERVISOR,
    body=ReceiptRequest,
    response=ProductAnswer,
    status=201,
    errors=("unknown_product", "validation_error"),
)
def product_receipt(barcode: str, body: ReceiptRequest) -> ProductAnswer:
    session = db_session()
    product = _product(barcode)
    record_movement(
        session,
        product,
        _qty(body.qty, "数量"),
        "receipt",
        at=now(),
        actor=current_actor(),
        reference=body.reference,
        unit_cost=None if body.unit_cost is None else Money.parse(body.unit_cost),
        supplier=body.supplier,
        donor=body.donor,
        estimated_value=None if body.estimated_value is None else Money.parse(body.estimated_value),
        reason="捐赠入库" if body.donor else "采购入库",
    )
    session.commit()
    return ProductAnswer.of(product)


@api.operation(
    "/products/<barcode>/counts",
    method="POST",
    summary="盘点：输入实盘数量，差异记为盘点调整",
    roles=_SUPERVISOR,
    body=CountRequest,
    response=ProductAnswer,
    status=201,
    errors=("unknown_product", "validation_error"),
)
def product_count(barcode: str, body: CountRequest) -> ProductAnswer:
    session = db_session()
    product = _product(barcode)
    count_stock(
        session,
        product,
        _qty(body.counted, "盘点数"),
        reason=body.reason,
        at=now(),
        actor=current_actor(),
    )
    session.commit()
    return ProductAnswer.of(product)


@api.operation(
    "/products/<barcode>/writeoffs",
    method="POST",
    summary="报损（过期、破损）",
    roles=_SUPERVISOR,
    body=WriteoffRequest,
    response=ProductAnswer,
    status=201,
    errors=("unknown_product", "validation_error"),
)
def product_writeoff(barcode: str, body: WriteoffRequest) -> ProductAnswer:
    session = db_session()
    product = _product(barcode)
    record_movement(
        session,
        product,
        -_qty(body.qty, "数量"),
        "writeoff",
        at=now(),
        actor=current_actor(),
        reason=body.reason,
    )
    session.commit()
    return ProductAnswer.of(product)


@api.operation(
    "/products/<barcode>/movements",
    summary="商品的库存流水（最新在前）",
    roles=_SUPERVISOR,
    response=MovementList,
    errors=("unknown_product",),
)
def product_movements(barcode: str) -> MovementList:
    product = _product(barcode)
    items = [MovementAnswer.of(m) for m in movements_of(db_session(), product, limit=200)]
    return MovementList(product=ProductAnswer.of(product), items=items)


from inventory import pages as _pages  # noqa: E402,F401  (registers the back-office pages on bp)
