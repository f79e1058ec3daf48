"""The charity price rule (DESIGN rule 8): Decimal only, half up to the fen, every half case."""

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import ValidationError
from core.money import Money
from inventory.services.pricing import (
    charity_unit_price,
    format_qty,
    format_rate,
    milli_to_qty,
    parse_rate,
    qty_to_milli,
)


def reference(list_fen: int, bp: int) -> int:
    """Integer-only half-up of list_fen * (10000 - bp) / 10000, for non-negative amounts."""
    return (list_fen * (10_000 - bp) * 2 + 10_000) // 20_000


@pytest.mark.parametrize(
    ("price", "rate", "expected"),
    [
        ("0.30", "0.05", "0.29"),  # 28.5 fen
        ("9.90", "0.05", "9.41"),  # 940.5 fen
        ("0.10", "0.05", "0.10"),  # 9.5 fen
        ("0.50", "0.10", "0.45"),
        ("0.05", "0.10", "0.05"),  # 4.5 fen
        ("43.10", "0.05", "40.95"),  # 4094.5 fen
        ("65.65", "0.08", "60.40"),  # 6039.8 fen
        ("0.00", "0.05", "0.00"),
        ("1.00", "0.10", "0.90"),
    ],
)
def test_known_prices(price: str, rate: str, expected: str) -> None:
    assert charity_unit_price(Money.parse(price), Decimal(rate)) == Money.parse(expected)


@pytest.mark.parametrize("bp", range(500, 1001, 100))
def test_every_half_case_rounds_up_at_whole_percent_rates(bp: int) -> None:
    """Exhaustive for list prices 0.00-99.99 at 5%..10%: every exact half goes up."""
    rate = Decimal(bp) / 10_000
    halves = 0
    for fen in range(10_000):
        got = charity_unit_price(Money(fen), rate).fen
        assert got == reference(fen, bp), (fen, bp)
        exact = fen * (10_000 - bp)
        if exact % 10_000 == 5_000:
            halves += 1
            assert got == exact // 10_000 + 1
    # 8% (x 0.92) never lands on half a fen; every other whole-percent rate does
    assert (halves == 0) == (bp == 800)


@given(
    fen=st.integers(min_value=0, max_value=10**9),
    bp=st.integers(min_value=500, max_value=1000),
)
def test_property_matches_integer_half_up(fen: int, bp: int) -> None:
    rate = Decimal(bp) / 10_000
    price = charity_unit_price(Money(fen), rate)
    assert price.fen == reference(fen, bp)
    # never above the list price, never more than the rate (plus half a fen) below it
    assert price.fen <= fen
    assert abs(price.fen * 10_000 - fen * (10_000 - bp)) <= 5_000


def half_cases(bp: int) -> tuple[int, int] | None:
    """(first, period) of the list prices in fen whose charity price is exactly x.5 fen at `bp`,
    i.e. the solutions of fen * (10000 - bp) = 5000 (mod 10000); None when there are none."""
    factor = 10_000 - bp
    g = math.gcd(factor, 10_000)
    if 5_000 % g:
        return None
    period = 10_000 // g
    first = (5_000 // g) * pow(factor // g, -1, period) % period if period > 1 else 0
    return first, period


@given(bp=st.integers(min_value=500, max_value=1000), t=st.integers(0, 10**5))
def test_property_every_half_case_rounds_up(bp: int, t: int) -> None:
    """Across every basis-point rate in range, the exact halves (constructed, not sampled) go up."""
    cases = half_cases(bp)
    if cases is None:
        return
    first, period = cases
    fen = first + t * period
    exact = fen * (10_000 - bp)
    assert exact % 10_000 == 5_000
    assert charity_unit_price(Money(fen), Decimal(bp) / 10_000).fen == exact // 10_000 + 1


def test_half_cases_exist_where_expected() -> None:
    assert half_cases(500) is not None and half_cases(800) is None
    first, _period = half_cases(500)  # type: ignore[misc]
    assert (first * 9_500) % 10_000 == 5_000


def test_float_rate_refused() -> None:
    with pytest.raises(TypeError):
        charity_unit_price(Money(100), 0.05)  # type: ignore[arg-type]


def test_rate_parsing_and_format() -> None:
    assert parse_rate("0.05") == Decimal("0.05")
    assert parse_rate("8%") == Decimal("0.08")
    assert format_rate(Decimal("0.1")) == "0.10"
    assert format_rate(Decimal("0.075")) == "0.075"
    with pytest.raises(ValidationError):
        parse_rate("abc")
    with pytest.raises(ValidationError):
        parse_rate("0.05001")


def test_quantities_in_thousandths() -> None:
    assert qty_to_milli(Decimal("0.512"), whole=False) == 512
    assert qty_to_milli(Decimal("2"), whole=True) == 2000
    assert milli_to_qty(3000) == Decimal(3) and format_qty(-2000) == "-2"
    assert format_qty(512) == "0.512"
    with pytest.raises(ValidationError, match="3 位小数"):
        qty_to_milli(Decimal("0.5125"), whole=False)
    with pytest.raises(ValidationError, match="整数"):
        qty_to_milli(Decimal("1.5"), whole=True)
