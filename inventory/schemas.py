"""What people type into the inventory package, validated once: the JSON API takes these models as
request bodies, and the back-office pages and the command line validate their form fields and
arguments through the very same models (`core.forms.read_form`, `read_input`). Quantities and
amounts are read by the kernel's parsers (`core.fields`); the rules (the allowed rates, whole
pieces, signs, what a donation is worth) are the services'. The models carry comments, not
docstrings: a docstring would become their description in the OpenAPI document, which speaks
Chinese."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, TypedDict

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from core.errors import DomainError
from core.fields import FieldError, Quantity, parse_amount, parse_quantity
from core.money import Money
from core.web import ApiModel
from inventory.services.pricing import parse_rate


def _amount(what: str) -> Callable[[object], Money]:
    """The parser of an amount that may be zero (a free item, an unpriced gift) but never
    negative, naming the field `what`."""

    def parse(value: object) -> Money:
        if isinstance(value, Money):
            return value
        if isinstance(value, str) and value.strip().startswith("-"):
            amount = parse_amount(value, what=what, signed=True)  # malformed text: said so
            raise FieldError(f"{what}不能为负数，实际为 {amount}")
        return parse_amount(value, what=what, allow_zero=True)

    return parse


def _count(what: str) -> Callable[[object], Decimal]:
    """The parser of a quantity that may be zero (a count, a reorder level), naming `what`."""

    def parse(value: object) -> Decimal:
        if isinstance(value, Decimal):
            return value
        return parse_quantity(value, what=what, allow_zero=True)

    return parse


def _rate(value: object) -> Decimal:
    """A discount rate as text: "0.05" or "5%", between 0 and 1 (the configured range is the
    services' check, when the product is saved)."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise FieldError(f'折扣率应为文本（如 "0.05" 或 "5%"），实际为 {value!r}')
    try:
        rate: Decimal | None = parse_rate(value)
    except DomainError as exc:
        raise FieldError(exc.message) from None
    except ArithmeticError:  # an exponent too large for Decimal
        rate = None
    if rate is None or not 0 <= rate < 1:
        raise FieldError(f"折扣率应在 0 至 1 之间（如 0.05 或 5%），实际为 {value[:20]}")
    return rate


_AMOUNT_JSON = PlainSerializer(str, return_type=str)
_QTY_JSON = PlainSerializer(lambda q: format(q.normalize(), "f"), return_type=str)
_QTY_SCHEMA = {"anyOf": [{"type": "string"}, {"type": "integer"}]}

Price = Annotated[
    Money,
    BeforeValidator(_amount("标价")),
    _AMOUNT_JSON,
    WithJsonSchema({"type": "string", "description": '标价，如 "12.50"（衣物可为 0）'}),
]
UnitCost = Annotated[
    Money,
    BeforeValidator(_amount("单价")),
    _AMOUNT_JSON,
    WithJsonSchema({"type": "string", "description": '采购单价，或捐赠的单件估值，如 "4.00"'}),
]
LineValue = Annotated[
    Money,
    BeforeValidator(_amount("估值")),
    _AMOUNT_JSON,
    WithJsonSchema({"type": "string", "description": '捐赠物品整行的估值，如 "39.60"'}),
]
Counted = Annotated[
    Decimal,
    BeforeValidator(_count("盘点数")),
    _QTY_JSON,
    WithJsonSchema({**_QTY_SCHEMA, "description": '实盘数量，如 18 或 "2.350"（可为 0）'}),
]
ReorderLevel = Annotated[
    Decimal,
    BeforeValidator(_count("预警库存")),
    _QTY_JSON,
    WithJsonSchema({**_QTY_SCHEMA, "description": "预警库存（0：不预警）"}),
]
Rate = Annotated[
    Decimal,
    BeforeValidator(_rate),
    PlainSerializer(lambda r: format(r.normalize(), "f"), return_type=str),
    WithJsonSchema({"type": "string", "description": '慈善折扣率，如 "0.05" 或 "5%"'}),
]


# A new list price and/or discount rate (absent: unchanged).
class PriceChange(ApiModel):
    list_price: Price | None = None
    discount_rate: Rate | None = None
    reason: str = Field(default="调价", max_length=200, title="原因")


# Goods received: a purchase (unit cost, supplier) or, naming a donor, a donation (the value of
# one unit as `unit_cost`, or the whole line's `estimated_value`).
class ReceiptRequest(ApiModel):
    qty: Quantity
    unit_cost: UnitCost | None = None
    supplier: str | None = Field(default=None, max_length=100, title="供应商")
    donor: str | None = Field(default=None, max_length=100, title="捐赠方")
    estimated_value: LineValue | None = None
    reference: str | None = Field(default=None, max_length=64, title="单号")


# A stocktake line: the quantity counted on the shelf, and why it may differ.
class CountRequest(ApiModel):
    counted: Counted
    reason: str = Field(min_length=1, max_length=200, title="原因")


# Goods taken out of stock unsold, and why.
class WriteoffRequest(ApiModel):
    qty: Quantity
    reason: str = Field(min_length=1, max_length=200, title="原因")


# What the product form sets, as `create_product` and `update_product` take it.
class ProductValues(TypedDict):
    name: str
    spec: str
    unit: str
    category: str
    source: str
    clothing: bool
    reorder_level: Decimal
    list_price: Money
    discount_rate: Decimal | None


# The product form of the back office (the texts are checked by the services).
class ProductFields(ApiModel):
    name: str = ""
    spec: str = ""
    unit: str = ""
    category: str = ""
    source: str = "purchased"
    clothing: bool = False
    reorder_level: ReorderLevel = Decimal(0)
    list_price: Price = Field(title="标价")
    discount_rate: Rate | None = None

    def values(self) -> ProductValues:
        return ProductValues(
            name=self.name,
            spec=self.spec,
            unit=self.unit,
            category=self.category,
            source=self.source,
            clothing=self.clothing,
            reorder_level=self.reorder_level,
            list_price=self.list_price,
            discount_rate=self.discount_rate,
        )


# A new product; without a barcode it gets the next in-store code.
class NewProduct(ProductFields):
    barcode: str | None = None
    weighed: bool = False


# An edited product; a price or rate change is dated, with the reason.
class ProductEdit(ProductFields):
    active: bool = False
    reason: str = Field(default="后台修改", max_length=200, title="原因")


# The quick-key and open-price settings of one product (back office, 快捷商品).
class CounterKeysForm(ApiModel):
    barcode: str = Field(min_length=1, max_length=32, title="条码")
    quick_key: int | None = Field(default=None, title="快捷键位置")
    open_price: bool = False
    max_price: Annotated[Money, BeforeValidator(_amount("最高单价")), _AMOUNT_JSON] | None = None
    supervisor_above: (
        Annotated[Money, BeforeValidator(_amount("店长授权线")), _AMOUNT_JSON] | None
    ) = None
