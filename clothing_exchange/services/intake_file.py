"""Reading 衣暖人心 intake files: one row per collected batch (批次, 日期, 来源楼院, 重量kg, 分拣).

The 分拣 cell lists the sorted result as `种类/尺码/季节=件数` items separated by `;`, e.g.
`毛衣/XXL/冬=39;床品/L/夏=29`. Files are .csv (UTF-8, GBK or GB18030), .xlsx, .xls or .ods, read by
`core.tabular` (the header checked before any row, the kernel's limits). Nothing here
touches the database: `parse_intake` returns the rows that are good and every problem, each named
by its row number in the file (the header is row 1), the field and the value.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from core import tabular
from core.errors import ValidationError
from core.tabular import Column, Columns, Header, cell_text

# Sizes the sorters use: letter sizes, one-size (均码) and children's heights (童110 = 110 cm).
SIZE_PATTERN = re.compile(r"^(XS|S|M|L|XL|XXL|XXXL|[2-5]XL|均码|童[5-9][0-9]|童1[0-7][0-9])$")
SEASONS: tuple[str, ...] = ("春秋", "夏", "冬", "四季")

WEIGHT_DECIMALS = 3
MAX_COUNT = 100_000

# The intake file's columns: Chinese as in the bureau's files (the first is the label), English
# accepted too.
INTAKE_COLUMNS = Columns(
    Column("batch_code", "批次", "批次号", "batch", "batch_code", required=True),
    Column("intake_date", "日期", "date", "intake_date", required=True),
    Column(
        "collection_point",
        "来源楼院",
        "楼院",
        "回收点",
        "collection_point",
        "source",
        required=True,
    ),
    Column(
        "weight_kg",
        "重量kg",
        "重量",
        "重量(kg)",
        "重量（kg）",
        "weight_kg",
        "weight",
        required=True,
    ),
    Column("sorting", "分拣", "分拣结果", "sorted", "sorting", required=True),
    Column("recycled_kg", "回收重量kg", "送回收kg", "回收kg", "recycled_kg"),
)


class IntakeFileError(ValueError):
    """A file that cannot be read at all (wrong format, no header, missing columns)."""


@dataclass(frozen=True, order=True)
class SortedLine:
    """Sorted items of one kind, size and season."""

    kind: str
    size: str
    season: str
    count: int

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.size, self.season)

    def __str__(self) -> str:
        return f"{self.kind}/{self.size}/{self.season}={self.count}"


@dataclass(frozen=True)
class IntakeRow:
    """One good batch of a file (`row` is its row number, the header being row 1)."""

    row: int
    batch_code: str
    intake_date: date
    collection_point: str
    weight_kg: Decimal
    lines: tuple[SortedLine, ...]
    recycled_kg: Decimal | None = None

    @property
    def items(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def fingerprint(self) -> str:
        """The batch's content, hashed: the same batch imported twice has the same fingerprint."""
        parts = [
            self.batch_code,
            self.intake_date.isoformat(),
            self.collection_point,
            str(to_milli(self.weight_kg)),
            "" if self.recycled_kg is None else str(to_milli(self.recycled_kg)),
            ";".join(str(line) for line in sorted(self.lines)),
        ]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one cell: row number, field, value and why."""

    row: int
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"第 {self.row} 行，字段「{self.field}」的值 {self.value!r}：{self.reason}"


@dataclass
class IntakeFile:
    rows: list[IntakeRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def to_milli(value: Decimal) -> int:
    """Kilograms (at most three decimals) as integer thousandths (grams)."""
    return int(value * 1000)


def from_milli(milli: int) -> Decimal:
    return (Decimal(milli) / 1000).quantize(Decimal("0.001"))


# --- reading the table ------------------------------------------------------------------------


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as text cells, header first (any format `core.tabular` reads)."""
    try:
        return tabular.read_table(data, filename)
    except ValidationError as exc:
        raise IntakeFileError(exc.message) from None


def _locate_columns(header: Sequence[Any]) -> Header:
    """Where each column is in the header row (row 1); IntakeFileError naming the missing ones."""
    try:
        return INTAKE_COLUMNS.locate(header)
    except ValidationError as exc:
        raise IntakeFileError(exc.message) from None


# --- parsing cells ----------------------------------------------------------------------------


def parse_date(text: str) -> date | None:
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text.strip())
    if match is None:
        match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text.strip())
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_weight(text: str) -> tuple[Decimal | None, str]:
    """A weight in kg: (value, "") or (None, reason).

    The file's own reader, not `core.fields.parse_quantity`: a cell may carry its unit
    ("12.5kg") and the full-width digits a Chinese spreadsheet holds, zero is a weight, and a bad
    cell is one problem among the file's others (a short reason printed after the row and the
    field's name), not an exception."""
    cleaned = text.strip().lower().removesuffix("kg").strip()
    if not cleaned:
        return None, "不能为空"
    if not re.fullmatch(r"[+-]?\d+(\.\d+)?", cleaned):
        return None, "不是数字"
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None, "不是数字"
    if value < 0:
        return None, "不能为负数"
    if value != value.quantize(Decimal("0.001")):
        return None, f"最多 {WEIGHT_DECIMALS} 位小数"
    if value > Decimal(1_000_000):
        return None, "超出合理范围"
    return value, ""


def parse_sorting(text: str, kinds: Sequence[str]) -> tuple[list[SortedLine], list[str]]:
    """The 分拣 cell: (lines, reasons). Repeated kind/size/season items are added up."""
    reasons: list[str] = []
    totals: dict[tuple[str, str, str], int] = {}
    items = [part.strip() for part in re.split(r"[;；]", text) if part.strip()]
    if not items:
        return [], ["不能为空（格式如 毛衣/XXL/冬=39;床品/L/夏=29）"]
    for item in items:
        head, eq, count_text = item.replace("＝", "=").partition("=")
        parts = [p.strip() for p in re.split(r"[/／]", head)]
        if not eq or len(parts) != 3:
            reasons.append(f"「{item}」格式应为 种类/尺码/季节=件数")
            continue
        kind, size, season = parts
        size = size.upper() if size.isascii() else size
        bad = False
        if kind not in kinds:
            reasons.append(f"「{item}」未知衣物种类 {kind}（可选：{'、'.join(kinds)}）")
            bad = True
        if not SIZE_PATTERN.match(size):
            reasons.append(f"「{item}」尺码 {size} 无效（如 S、M、L、XL、XXL、均码、童110）")
            bad = True
        if season not in SEASONS:
            reasons.append(f"「{item}」季节 {season} 无效（可选：{'、'.join(SEASONS)}）")
            bad = True
        count_text = count_text.strip()
        if re.fullmatch(r"-\d+", count_text):
            reasons.append(f"「{item}」件数 {count_text} 不能为负数")
            bad = True
        elif not re.fullmatch(r"\d+", count_text):
            reasons.append(f"「{item}」件数 {count_text!r} 不是整数")
            bad = True
        elif int(count_text) > MAX_COUNT:
            reasons.append(f"「{item}」件数 {count_text} 超出合理范围")
            bad = True
        if not bad:
            key = (kind, size, season)
            totals[key] = totals.get(key, 0) + int(count_text)
    lines = [SortedLine(k, s, se, n) for (k, s, se), n in totals.items() if n > 0]
    return lines, reasons


def _parse_row(
    number: int,
    cells: Sequence[Any],
    columns: Header,
    kinds: Sequence[str],
    seen: dict[str, int],
) -> tuple[IntakeRow | None, list[RowProblem]]:
    problems: list[RowProblem] = []

    def cell(name: str) -> str:
        return columns.text(cells, name)

    def bad(name: str, value: str, reason: str) -> None:
        problems.append(RowProblem(number, INTAKE_COLUMNS.label(name), value, reason))

    code = cell("batch_code")
    if not code:
        bad("batch_code", code, "不能为空")
    elif len(code) > 40:
        bad("batch_code", code, "超过 40 个字符")
    elif code in seen:
        bad("batch_code", code, f"批次号与第 {seen[code]} 行重复")
    else:
        seen[code] = number
    date_text = cell("intake_date")
    day = parse_date(date_text)
    if day is None:
        bad("intake_date", date_text, "日期无效（应为 YYYY-MM-DD，如 2026-01-05）")
    point = cell("collection_point")
    if not point:
        bad("collection_point", point, "不能为空")
    elif len(point) > 120:
        bad("collection_point", point, "超过 120 个字符")
    weight_text = cell("weight_kg")
    weight, reason = parse_weight(weight_text)
    if weight is None:
        bad("weight_kg", weight_text, reason)
    recycled: Decimal | None = None
    recycled_text = cell("recycled_kg")
    if recycled_text:
        recycled, reason = parse_weight(recycled_text)
        if recycled is None:
            bad("recycled_kg", recycled_text, reason)
        elif weight is not None and recycled > weight:
            bad("recycled_kg", recycled_text, f"大于总重量 {weight_text}")
    sorting_text = cell("sorting")
    lines, reasons = parse_sorting(sorting_text, kinds)
    for why in reasons:
        bad("sorting", sorting_text, why)
    if problems or day is None or weight is None:
        return None, problems
    row = IntakeRow(
        row=number,
        batch_code=code,
        intake_date=day,
        collection_point=point,
        weight_kg=weight,
        lines=tuple(sorted(lines)),
        recycled_kg=recycled,
    )
    return row, []


def parse_rows(
    header: Sequence[Any], rows: Iterable[tuple[int, Sequence[Any]]], *, kinds: Sequence[str]
) -> IntakeFile:
    """Parse the header (row 1), then each numbered row after it."""
    if not any(cell_text(cell) for cell in header):
        raise IntakeFileError("文件为空或缺少表头（第 1 行）")
    columns = _locate_columns(header)
    result = IntakeFile()
    seen: dict[str, int] = {}
    for number, cells in rows:
        if not any(cell_text(cell) for cell in cells):
            continue  # blank lines (often at the end of an Excel sheet) are not rows
        row, problems = _parse_row(number, cells, columns, kinds, seen)
        result.problems.extend(problems)
        if row is not None:
            result.rows.append(row)
    return result


def parse_table(table: list[list[str]], *, kinds: Sequence[str]) -> IntakeFile:
    """Parse a whole table, header first (a typed batch is such a table)."""
    if not table:
        raise IntakeFileError("文件为空或缺少表头（第 1 行）")
    return parse_rows(table[0], enumerate(table[1:], start=2), kinds=kinds)


def parse_intake(data: bytes, *, filename: str, kinds: Sequence[str]) -> IntakeFile:
    """Read and check an intake file, streamed (the header is checked before any row is read);
    raises IntakeFileError when unreadable."""
    try:
        table = tabular.open_table(data, filename)
        return parse_rows(table.header, table.rows(), kinds=kinds)
    except ValidationError as exc:
        raise IntakeFileError(exc.message) from None
