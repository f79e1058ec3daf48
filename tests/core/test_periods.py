from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.periods import Month, PeriodError, Quarter

SH = ZoneInfo("Asia/Shanghai")


def test_month_turns_at_shanghai_midnight_not_utc() -> None:
    # 2026-12-31 16:30 UTC is 2027-01-01 00:30 in Shanghai
    at = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)
    assert str(Month.of(at, SH)) == "2027-01"
    assert str(Month.of(at, UTC)) == "2026-12"
    assert str(Month.of(datetime(2026, 12, 31, 23, 59, 59, tzinfo=SH), SH)) == "2026-12"


@pytest.mark.parametrize(
    ("day", "before", "after"),
    [
        ((3, 31), "2026-Q1", "2026-Q2"),
        ((6, 30), "2026-Q2", "2026-Q3"),
        ((9, 30), "2026-Q3", "2026-Q4"),
        ((12, 31), "2026-Q4", "2027-Q1"),
    ],
)
def test_quarter_boundaries_in_shanghai(day: tuple[int, int], before: str, after: str) -> None:
    last_minute = datetime(2026, *day, 23, 59, tzinfo=SH)
    assert str(Quarter.of(last_minute, SH)) == before
    midnight = datetime(2026, *day, 23, 59, tzinfo=SH).replace(hour=0, minute=0)
    next_midnight = Quarter.of(last_minute, SH).end(SH)
    assert str(Quarter.of(next_midnight, SH)) == after
    assert midnight < next_midnight


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(PeriodError):
        Month.of(datetime(2026, 12, 1), SH)
    with pytest.raises(PeriodError):
        Quarter.of(datetime(2026, 12, 1), SH)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "26-12", "2026/12", "2026-1", "", "abcd-ef"]
)
def test_month_parse_refuses_bad_text(text: str) -> None:
    with pytest.raises(PeriodError):
        Month.parse(text)


def test_month_arithmetic_and_bounds() -> None:
    december = Month.parse("2026-12")
    assert str(december.next()) == "2027-01"
    assert str(december.previous()) == "2026-11"
    assert december.last_day == date(2026, 12, 31)
    assert Month.parse("2028-02").last_day == date(2028, 2, 29)
    assert december.start(SH) == datetime(2026, 12, 1, tzinfo=SH)
    assert december.plus(-12) == Month(2025, 12)
    assert december.minus(Month(2026, 1)) == 11
    assert str(december.quarter) == "2026-Q4"
    assert december.label == "2026年12月"


def test_quarter_parse_and_label() -> None:
    q = Quarter.parse("2026-Q4")
    assert q.first_day == date(2026, 10, 1)
    assert str(q.next()) == "2027-Q1"
    assert q.label == "2026年第4季度"
    with pytest.raises(PeriodError):
        Quarter.parse("2026-Q5")
