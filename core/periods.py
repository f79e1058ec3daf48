"""Calendar months (`2026-12`) and quarters (`2026-Q4`) in the store's timezone.

A period is computed from an aware instant; naive datetimes are refused, since "which month"
depends on where midnight falls: a sale at 00:10 on 1 January in Shanghai is in January although
UTC still says 31 December.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")


class PeriodError(ValueError):
    """Text that is not a month or quarter, or a naive datetime."""


def _local_date(at: datetime, tz: tzinfo) -> date:
    if at.tzinfo is None or at.utcoffset() is None:
        raise PeriodError("需要带时区的时间（naive datetime 无法确定所在月份）")
    return at.astimezone(tz).date()


@dataclass(frozen=True, order=True, slots=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1900 <= self.year <= 9999:
            raise PeriodError(f"月份无效：{self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise PeriodError(f"月份格式应为 YYYY-MM（如 2026-12），实际为 {text!r}")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"月份无效：{text!r}")
        return cls(year, month)

    @classmethod
    def of(cls, at: datetime, tz: tzinfo) -> Month:
        local = _local_date(at, tz)
        return cls(local.year, local.month)

    @classmethod
    def of_date(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def start(self, tz: tzinfo) -> datetime:
        """The instant this month begins in `tz` (aware)."""
        return datetime(self.year, self.month, 1, tzinfo=tz)

    def end(self, tz: tzinfo) -> datetime:
        """The instant the next month begins (exclusive end)."""
        return self.next().start(tz)

    def next(self) -> Month:
        return self.plus(1)

    def previous(self) -> Month:
        return self.plus(-1)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def minus(self, other: Month) -> int:
        """How many months from `other` to this one."""
        return (self.year * 12 + self.month) - (other.year * 12 + other.month)

    @property
    def quarter(self) -> Quarter:
        return Quarter(self.year, (self.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        """For people: 2026年12月."""
        return f"{self.year}年{self.month}月"


@dataclass(frozen=True, order=True, slots=True)
class Quarter:
    year: int
    quarter: int

    def __post_init__(self) -> None:
        if not 1 <= self.quarter <= 4 or not 1900 <= self.year <= 9999:
            raise PeriodError(f"季度无效：{self.year}-Q{self.quarter}")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER.match(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise PeriodError(f"季度格式应为 YYYY-Qn（如 2026-Q4），实际为 {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, at: datetime, tz: tzinfo) -> Quarter:
        local = _local_date(at, tz)
        return cls(local.year, (local.month - 1) // 3 + 1)

    @classmethod
    def of_date(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.quarter}"

    @property
    def first_month(self) -> Month:
        return Month(self.year, (self.quarter - 1) * 3 + 1)

    @property
    def first_day(self) -> date:
        return self.first_month.first_day

    def start(self, tz: tzinfo) -> datetime:
        return self.first_month.start(tz)

    def end(self, tz: tzinfo) -> datetime:
        return self.next().start(tz)

    def next(self) -> Quarter:
        index = self.year * 4 + (self.quarter - 1) + 1
        return Quarter(index // 4, index % 4 + 1)

    @property
    def label(self) -> str:
        """For people: 2026年第4季度."""
        return f"{self.year}年第{self.quarter}季度"


def local_date(at: datetime, tz: tzinfo) -> date:
    """The calendar day of an aware instant in `tz` (naive refused)."""
    return _local_date(at, tz)
