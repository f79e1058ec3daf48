"""Money: an exact amount of yuan held as integer fen.

Floats are refused everywhere: `Money(1.5)` and `Money.parse(1.5)` raise. Text is parsed strictly
("12.34", "12.3", "12"; at most two decimals), shown as `￥12.34` to people and as `"12.34"` in JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN_PER_YUAN = 100
_AMOUNT = re.compile(r"^([+-]?)([0-9]+)(?:\.([0-9]{1,2}))?$")
_CENT = Decimal("0.01")


class MoneyError(ValueError):
    """Text or a number that is not an exact amount of money."""


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An amount in fen. Arithmetic with another Money or an int count; never with a float."""

    fen: int

    def __post_init__(self) -> None:
        if isinstance(self.fen, bool) or not isinstance(self.fen, int):
            raise MoneyError(f"金额必须是整数分，不接受 {type(self.fen).__name__}: {self.fen!r}")

    # --- construction ---------------------------------------------------------------------

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse "12.34" (sign allowed, at most two decimals, no exponent, no float)."""
        if not isinstance(text, str):
            raise MoneyError(f'金额应为文本（如 "12.34"），实际为 {text!r}')
        match = _AMOUNT.match(text.strip())
        if match is None:
            raise MoneyError(f"金额格式不正确：{text!r}（应为如 12.34，最多两位小数）")
        sign, yuan, cents = match.groups()
        fen = int(yuan) * FEN_PER_YUAN + int((cents or "0").ljust(2, "0"))
        return cls(-fen if sign == "-" else fen)

    @classmethod
    def from_decimal(cls, amount: Decimal, *, rounding: str | None = None) -> Money:
        """From a Decimal in yuan. Exact unless `rounding` (e.g. ROUND_HALF_UP) is given."""
        if not isinstance(amount, Decimal):
            raise MoneyError(f"应为 Decimal，实际为 {type(amount).__name__}")
        if not amount.is_finite():
            raise MoneyError(f"金额不是有限数字：{amount}")
        if rounding is not None:
            amount = amount.quantize(_CENT, rounding=rounding)
        elif amount != amount.quantize(_CENT):
            raise MoneyError(f"金额最多两位小数：{amount}")
        return cls(int(amount * FEN_PER_YUAN))

    @classmethod
    def coerce(cls, value: object) -> Money:
        """Money from Money, Decimal (exact), int fen is NOT accepted (ambiguous); text parsed."""
        if isinstance(value, Money):
            return value
        if isinstance(value, Decimal):
            return cls.from_decimal(value)
        if isinstance(value, str):
            return cls.parse(value)
        raise MoneyError(f"无法把 {value!r} 当作金额")

    # --- views ----------------------------------------------------------------------------

    @property
    def decimal(self) -> Decimal:
        return (Decimal(self.fen) / FEN_PER_YUAN).quantize(_CENT)

    def __str__(self) -> str:
        """Plain two-decimal text, as the JSON API speaks it: "12.34", "-0.50"."""
        sign = "-" if self.fen < 0 else ""
        whole, cents = divmod(abs(self.fen), FEN_PER_YUAN)
        return f"{sign}{whole}.{cents:02d}"

    def format(self) -> str:
        """For people: ￥12.34, -￥0.50 (full-width yuan sign, which GBK printers have)."""
        text = str(self)
        return f"-￥{text[1:]}" if text.startswith("-") else f"￥{text}"

    def __repr__(self) -> str:
        return f"Money('{self}')"

    # --- arithmetic -----------------------------------------------------------------------

    def _other(self, other: object) -> Money:
        if isinstance(other, Money):
            return other
        raise TypeError(f"Money 只能与 Money 相加减，不能与 {type(other).__name__}")

    def __add__(self, other: Money) -> Money:
        return Money(self.fen + self._other(other).fen)

    def __radd__(self, other: object) -> Money:
        if other == 0:  # so that sum() works
            return self
        return Money(self._other(other).fen + self.fen)

    def __sub__(self, other: Money) -> Money:
        return Money(self.fen - self._other(other).fen)

    def __neg__(self) -> Money:
        return Money(-self.fen)

    def __abs__(self) -> Money:
        return Money(abs(self.fen))

    def __mul__(self, count: int) -> Money:
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError("Money 只能乘以整数；带小数的数量请用 multiply()")
        return Money(self.fen * count)

    __rmul__ = __mul__

    def multiply(self, factor: Decimal) -> Money:
        """Times a Decimal (a weight, 1 - rate), rounded half up to the fen (DESIGN rule 8)."""
        if not isinstance(factor, Decimal):
            raise TypeError("乘数必须是 Decimal")
        product = (Decimal(self.fen) * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return Money(int(product))

    def __bool__(self) -> bool:
        return self.fen != 0

    @property
    def is_negative(self) -> bool:
        return self.fen < 0


_PLAIN_NUMBER = re.compile(r"^[+-]?[0-9]+(?:\.[0-9]+)?$")


def parse_decimal(text: str | int, *, places: int, what: str = "数值") -> Decimal:
    """A strict non-float Decimal with at most `places` decimals (quantities, weights, rates):
    plain ASCII digits only, so "1e3", "1_000" and full-width digits are refused."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise MoneyError(f"{what}应为文本或整数，实际为 {text!r}")
    raw = str(text).strip()
    if not _PLAIN_NUMBER.match(raw):
        raise MoneyError(f"{what}不是数字：{text!r}（应为如 2 或 0.512）")
    value = Decimal(raw)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise MoneyError(f"{what}最多 {places} 位小数：{text!r}")
    return value
