"""The products JSON API: lookup (scale barcodes included) and search for the terminal, and the
supervisor's price changes, receipts, counts and write-offs, each one service call committed once.
Request bodies are the models of `inventory.schemas`, which the pages validate through too."""

from __future__ import annotations

from flask import request
from pydantic import Field

from core.auth import Role
from core.money import Money
from core.web import ApiBlueprint, ApiModel, current_actor, db_session, now, settings
from inventory.models import Product, StockMovement
from inventory.schemas import CountRequest, PriceChange, ReceiptRequest, WriteoffRequest
from inventory.services.counter_keys import quick_key_products
from inventory.services.counts import count_stock
from inventory.services.lookup import Scan, lookup
from inventory.services.prices import change_price
from inventory.services.pricing import format_qty, format_rate
from inventory.services.products import require_product, search_products
from inventory.services.receiving import receive_stock
from inventory.services.stock import movements_of
from inventory.services.writeoffs import write_off

api = ApiBlueprint("inventory_api", __name__, tag="inventory")

_SUPERVISOR = (Role.SUPERVISOR,)


# --- answers ---------------------------------------------------------------------------------


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


class QuickKey(ApiModel):
    """One key of the terminal's quick-key grid: a product without a barcode to scan, and for
    an open-price product the bounds of the price typed at the counter."""

    key: int
    product: ProductAnswer
    open_price: bool
    max_price: str | None
    supervisor_above: str | None

    @classmethod
    def of(cls, product: Product) -> QuickKey:
        def money(fen: int | None) -> str | None:
            return None if fen is None else str(Money(fen))

        return cls(
            key=product.quick_key or 0,
            product=ProductAnswer.of(product),
            open_price=product.open_price,
            max_price=money(product.open_price_max_fen),
            supervisor_above=money(product.open_price_supervisor_fen),
        )


class QuickKeyList(ApiModel):
    items: list[QuickKey]


class SearchQuery(ApiModel):
    q: str = Field(default="", max_length=100)
    clothing: bool | None = None
    limit: int = Field(default=50, ge=1, le=200)


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


# --- operations ------------------------------------------------------------------------------


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
    "/quick-keys",
    summary="收银台快捷商品（无条码商品、手工定价商品）：按键位排列",
    roles=(Role.CASHIER,),
    response=QuickKeyList,
)
def quick_keys() -> QuickKeyList:
    return QuickKeyList(items=[QuickKey.of(p) for p in quick_key_products(db_session())])


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
    product = require_product(session, barcode)
    change_price(
        session,
        product,
        list_price=body.list_price,
        discount_rate=body.discount_rate,
        reason=body.reason,
        at=now(),
        actor=current_actor(),
        discount=settings().discount,
        address=request.remote_addr or "",
    )
    session.commit()
    return ProductAnswer.of(product)


@api.operation(
    "/products/<barcode>/receipts",
    method="POST",
    summary="入库（采购带单价和供应商；捐赠带捐赠方，以及单件估值或整行估值）",
    roles=_SUPERVISOR,
    body=ReceiptRequest,
    response=ProductAnswer,
    status=201,
    errors=("unknown_product", "validation_error"),
)
def product_receipt(barcode: str, body: ReceiptRequest) -> ProductAnswer:
    session = db_session()
    product = require_product(session, barcode)
    receive_stock(
        session,
        product,
        body.qty,
        at=now(),
        actor=current_actor(),
        unit_cost=body.unit_cost,
        supplier=body.supplier,
        donor=body.donor,
        estimated_value=body.estimated_value,
        reference=body.reference,
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
    product = require_product(session, barcode)
    count_stock(session, product, body.counted, reason=body.reason, at=now(), actor=current_actor())
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
    product = require_product(session, barcode)
    write_off(session, product, body.qty, reason=body.reason, at=now(), actor=current_actor())
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
    product = require_product(db_session(), barcode)
    items = [MovementAnswer.of(m) for m in movements_of(db_session(), product, limit=200)]
    return MovementList(product=ProductAnswer.of(product), items=items)
