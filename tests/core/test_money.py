from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.money import Money, MoneyError, parse_decimal


@pytest.mark.parametrize(
    ("text", "fen"),
    [("12.34", 1234), ("12.3", 1230), ("12", 1200), ("0.05", 5), ("-0.50", -50), (" 7.00 ", 700)],
)
def test_parse_accepts_plain_amounts(text: str, fen: int) -> None:
    assert Money.parse(text).fen == fen


@pytest.mark.parametrize(
    "text", ["12.345", "1e3", "abc", "", "12,34", "１２", "--1", "NaN", "1.2.3"]
)
def test_parse_refuses_what_is_not_an_exact_amount(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text)


def test_floats_are_refused_everywhere() -> None:
    with pytest.raises(MoneyError):
        Money(1.5)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money.parse(12.34)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(100) * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(100) + 1  # type: ignore[operator]


def test_formatting_for_people_and_json() -> None:
    assert Money(1234).format() == "￥12.34"
    assert Money(-50).format() == "-￥0.50"
    assert str(Money(5)) == "0.05"
    assert str(Money(-1234)) == "-12.34"
    assert Money(0).format() == "￥0.00"


def test_arithmetic_and_sum() -> None:
    assert Money(150) + Money(250) == Money(400)
    assert Money(150) - Money(250) == Money(-100)
    assert Money(150) * 3 == Money(450)
    assert sum([Money(1), Money(2), Money(3)]) == Money(6)


@pytest.mark.parametrize(
    ("list_price", "factor", "expected"),
    [
        ("0.30", "0.95", "0.29"),  # 0.285 -> 0.29 (half up)
        ("9.90", "0.95", "9.41"),  # 9.405 -> 9.41
        ("0.10", "0.95", "0.10"),  # 0.095 -> 0.10
        ("1.00", "0.925", "0.93"),  # 0.925 -> 0.93
    ],
)
def test_multiply_rounds_half_up_to_the_fen(list_price: str, factor: str, expected: str) -> None:
    assert Money.parse(list_price).multiply(Decimal(factor)) == Money.parse(expected)


def test_from_decimal_is_exact_unless_told_to_round() -> None:
    assert Money.from_decimal(Decimal("1.20")) == Money(120)
    with pytest.raises(MoneyError):
        Money.from_decimal(Decimal("1.205"))
    assert Money.from_decimal(Decimal("1.205"), rounding=ROUND_HALF_UP) == Money(121)


def test_parse_decimal_limits_places() -> None:
    assert parse_decimal("0.512", places=3) == Decimal("0.512")
    with pytest.raises(MoneyError):
        parse_decimal("0.5125", places=3)
    for text in ("inf", "NaN", "1e3", "1_000", "１２", "0x10", "", ".5", "5."):
        with pytest.raises(MoneyError):
            parse_decimal(text, places=3)
    assert parse_decimal(" -2 ", places=0) == Decimal(-2)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_text_round_trips(fen: int) -> None:
    money = Money(fen)
    assert Money.parse(str(money)) == money
    assert Money.from_decimal(money.decimal) == money


@given(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=3),
)
def test_multiply_matches_decimal_half_up(fen: int, factor: Decimal) -> None:
    exact = Decimal(fen) / 100 * factor
    expected = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert Money(fen).multiply(factor).decimal == expected
