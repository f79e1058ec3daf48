"""The charity price rule (DESIGN rule 8) and the small exact conversions around it: rates held as
integer basis points, quantities as integer thousandths, a unit amount times a quantity. Pure
functions, no database and no models (the models' money views are built on them)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from core.errors import ValidationError
from core.money import Money

RATE_SCALE = 10_000  # a rate is stored as basis points: 0.05 -> 500
QTY_SCALE = 1_000  # a quantity is stored as thousandths: 0.512 kg -> 512
_MILLI = Decimal("0.001")
_CENT_RATE = Decimal("0.01")


def charity_unit_price(list_price: Money, rate: Decimal) -> Money:
    """List price times (1 - rate), rounded half up to the fen, in Decimal only.

    0.30 at 5% is 0.29 (28.5 fen rounds up); 9.90 at 5% is 9.41 (940.5 fen rounds up)."""
    if not isinstance(rate, Decimal):
        raise TypeError("折扣率必须是 Decimal")
    return list_price.multiply(Decimal(1) - rate)


def line_amount(unit: Money, qty: Decimal) -> Money:
    """A unit amount times a quantity: exact for whole quantities, rounded half up to the fen for
    weighed goods (2.5 kg at 4.00 is 10.00; 1.235 kg at 5.68 is 7.01). A sale line's total and a
    donated line's value are both this."""
    if qty == qty.to_integral_value():
        return unit * int(qty)
    return unit.multiply(qty)


def rate_from_bp(bp: int) -> Decimal:
    """500 -> Decimal('0.05'), exact."""
    return Decimal(bp) / RATE_SCALE


def rate_to_bp(rate: Decimal, *, what: str = "折扣率") -> int:
    """Decimal('0.05') -> 500; refuses more than four decimals (finer than a basis point)."""
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise ValidationError(f"{what}不是有效数字：{rate!r}")
    scaled = rate * RATE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValidationError(f"{what} {rate} 最多 4 位小数")
    return int(scaled)


def format_rate(rate: Decimal) -> str:
    """'0.05', '0.10', '0.075': at least two decimals, no trailing noise."""
    if rate == rate.quantize(_CENT_RATE):
        return str(rate.quantize(_CENT_RATE))
    return format(rate.normalize(), "f")


def parse_rate(text: str, *, what: str = "折扣率") -> Decimal:
    """'0.05', '5%', '0.075' -> Decimal; refuses floats, words and more than four decimals."""
    raw = str(text).strip()
    percent = raw.endswith("%")
    if percent:
        raw = raw[:-1].strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(f"{what}不是数字：{text!r}") from None
    if not value.is_finite():
        raise ValidationError(f"{what}不是数字：{text!r}")
    if percent:
        value = value / 100
    rate_to_bp(value, what=what)
    return value


def qty_to_milli(qty: Decimal, *, whole: bool, what: str = "数量") -> int:
    """A quantity as integer thousandths; refuses more than three decimals, and any decimals when
    `whole` (goods sold by the piece)."""
    if isinstance(qty, bool) or not isinstance(qty, Decimal | int):
        raise ValidationError(f"{what}应为数字，实际为 {qty!r}")
    qty = Decimal(qty)
    if not qty.is_finite():
        raise ValidationError(f"{what}不是有限数字：{qty}")
    if qty != qty.quantize(_MILLI):
        raise ValidationError(f"{what} {qty} 最多 3 位小数")
    if whole and qty != qty.to_integral_value():
        raise ValidationError(f"{what} {qty} 应为整数（此商品按件计）")
    return int(qty * QTY_SCALE)


def milli_to_qty(milli: int) -> Decimal:
    """512 -> Decimal('0.512'); 3000 -> Decimal('3')."""
    value = Decimal(milli) / QTY_SCALE
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.quantize(_MILLI)


def format_qty(milli: int) -> str:
    """Thousandths as people read them: '3', '-2', '0.512'."""
    return str(milli_to_qty(milli))
