"""What an export says, whatever file it becomes: columns with a kind, rows of values, totals,
sections on a sheet, sheets in a report, and the title block printed on each sheet."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Literal

from core.money import Money

Kind = Literal["text", "integer", "amount", "quantity", "percent", "date", "datetime"]
Value = str | int | Decimal | Money | date | datetime | None

NUMERIC_KINDS: frozenset[str] = frozenset({"integer", "amount", "quantity", "percent"})


@dataclass(frozen=True)
class Column:
    """One column: its title (the header cell, and the CSV header) and the kind of its values,
    which decides how they are written (`amount`: Money or Decimal yuan, two decimals; `quantity`:
    up to three decimals, as many as the column needs; `percent`: a rate such as 0.05)."""

    title: str
    kind: Kind = "text"


@dataclass(frozen=True)
class Table:
    """Rows under a header, then totals (printed bold). `heading` names the section when a sheet
    holds several tables."""

    columns: Sequence[Column]
    rows: Sequence[Sequence[Value]]
    totals: Sequence[Sequence[Value]] = ()
    heading: str = ""

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in (*self.rows, *self.totals):
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} values in a table of {width} columns")

    def places(self, index: int) -> int:
        """Decimals a quantity or percent column needs (0 to 3), from its values."""
        column = self.columns[index]
        needed = 0
        for row in (*self.rows, *self.totals):
            value = row[index]
            if isinstance(value, Decimal | int) and not isinstance(value, bool):
                shown = Decimal(value) * (100 if column.kind == "percent" else 1)
                exponent = shown.normalize().as_tuple().exponent
                if isinstance(exponent, int) and exponent < 0:
                    needed = max(needed, -exponent)
        return min(needed, 3)


@dataclass(frozen=True)
class Sheet:
    """One sheet (one printed document): its tables, and how it prints: A4, portrait or
    landscape, fitted to the page's width (as many pages down as it takes); the header row of
    its first table repeats on every page and stays in view while scrolling, with the first
    `freeze_columns` columns."""

    name: str
    tables: Sequence[Table]
    landscape: bool = False
    fit_width: bool = True
    freeze_columns: int = 0
    notes: Sequence[str] = ()

    @property
    def width(self) -> int:
        return max((len(t.columns) for t in self.tables), default=1)


@dataclass(frozen=True)
class TitleBlock:
    """What heads every sheet: the report's title, the store (or stores) and period it covers,
    the seal that proves its figures (a closed month's), and when it was printed (shown in
    `tz`)."""

    title: str
    store: str
    printed_at: datetime
    tz: tzinfo
    period: str = ""
    seal: str = ""

    def lines(self) -> list[str]:
        """The title block as lines: the title, then the facts."""
        facts = [f"门店：{self.store}"]
        if self.period:
            facts.append(f"期间：{self.period}")
        lines = [self.title, "　".join(facts)]
        lines.append(f"打印时间：{self.printed_at.astimezone(self.tz):%Y-%m-%d %H:%M}")
        if self.seal:
            lines.append(f"封印：{self.seal}")
        return lines


@dataclass(frozen=True)
class Report:
    """A whole export: the title block and the sheets."""

    title: TitleBlock
    sheets: Sequence[Sheet] = field(default_factory=tuple)


def display_width(text: str) -> int:
    """Columns `text` takes in a spreadsheet cell: a Chinese (wide or full-width) character
    counts two, others one; the longest line of a multi-line text."""
    return max(
        (
            sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)
            for line in text.split("\n")
        ),
        default=0,
    )
