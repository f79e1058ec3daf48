"""The one parser of quantities and amounts typed by people: pages, the JSON API and the command
line all read them through these functions (or the pydantic types built on them), so "2.5", "3"
and "0.512" mean the same thing everywhere and are refused with the same Chinese message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from core.money import Money, MoneyError, parse_decimal

QTY_PLACES = 3
MAX_QTY = Decimal(1_000_000)
MAX_AMOUNT = Money(100_000_000)  # ￥1,000,000.00: more is a typing slip


class FieldError(ValueError):
    """Text that is not the quantity or amount asked for; the message names the field."""


def parse_quantity(
    value: object, *, what: str = "数量", max_qty: Decimal = MAX_QTY, allow_zero: bool = False
) -> Decimal:
    """A quantity: plain ASCII digits, at most three decimals (weighed goods), above zero (or
    zero when `allow_zero`) and at most `max_qty`."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(f"{what}应为数字，实际为 {value!r}")
    try:
        qty = parse_decimal(value, places=QTY_PLACES, what=what)
    except MoneyError as exc:
        raise FieldError(str(exc)) from None
    low_ok = qty >= 0 if allow_zero else qty > 0
    if not low_ok or qty > max_qty:
        floor = "不小于 0" if allow_zero else "大于 0"
        raise FieldError(f"{what}应{floor}且不超过 {max_qty}，实际为 {value}")
    return qty


def parse_amount(
    value: object,
    *,
    what: str = "金额",
    allow_zero: bool = False,
    signed: bool = False,
    max_amount: Money = MAX_AMOUNT,
) -> Money:
    """An amount of money as text ("12.34"): at most two decimals; above zero unless `allow_zero`
    (zero too) or `signed` (either sign, never zero); its size at most `max_amount`."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(f'{what}应为文本（如 "12.34"），实际为 {value!r}')
    try:
        amount = Money.parse(str(value))
    except MoneyError as exc:
        raise FieldError(f"{what}：{exc}") from None
    if signed:
        if amount.fen == 0:
            raise FieldError(f"{what}不能为零")
    elif amount.fen < 0 or (amount.fen == 0 and not allow_zero):
        raise FieldError(f"{what}必须{'不小于' if allow_zero else '大于'}零，实际为 {value}")
    if abs(amount.fen) > max_amount.fen:
        raise FieldError(f"{what}不能超过 {max_amount}，实际为 {value}")
    return amount


def _quantity(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else parse_quantity(value)


def _amount(value: object) -> Money:
    return value if isinstance(value, Money) else parse_amount(value)


def _signed_amount(value: object) -> Money:
    return value if isinstance(value, Money) else parse_amount(value, signed=True)


Quantity = Annotated[
    Decimal,
    BeforeValidator(_quantity),
    PlainSerializer(lambda q: format(q.normalize(), "f"), return_type=str),
    WithJsonSchema(
        {"anyOf": [{"type": "string"}, {"type": "integer"}], "description": '数量，如 2 或 "0.512"'}
    ),
]
"""A pydantic field: a positive quantity typed as text or an integer, parsed by `parse_quantity`."""

Amount = Annotated[
    Money,
    BeforeValidator(_amount),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "description": '两位小数的金额，如 "20.00"'}),
]
"""A pydantic field: a positive amount typed as text, parsed by `parse_amount`."""

SignedAmount = Annotated[
    Money,
    BeforeValidator(_signed_amount),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "description": '带符号的金额，如 "-20.00"'}),
]
"""A pydantic field: a non-zero amount of either sign (adjustments)."""
