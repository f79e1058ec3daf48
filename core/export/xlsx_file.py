"""A report as a printable Excel workbook (openpyxl).

Each sheet prints as is: A4, portrait or landscape as the report chose, fitted to the page's
width, the header row repeated on every page (print titles) and frozen on screen, page numbers in
the footer, thin borders, a title block (title, store, period, time of printing, seal) over the
tables, totals in bold. Column widths come from the content, measured as the font draws it (a
Chinese character is two digits wide, bold a little wider), so no number shows `###` and no text
is cut. Numbers are numbers, with `#,##0.00`-style formats.

One font name for every cell, and as the workbook's default (the unit of column widths):
`Noto Sans CJK SC`. LibreOffice on Debian draws it with fonts-noto-cjk (checked with pdffonts:
it substitutes DejaVu Sans for 等线 and for Calibri, whose digits are wider and whose bold has no
Chinese); Excel and WPS without it fall back to a Chinese sans-serif face, told by the font's
family (swiss) and charset (GB2312) attributes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

from core.export.csv_file import csv_value
from core.export.model import (
    NUMERIC_KINDS,
    Column,
    Kind,
    Report,
    Sheet,
    Table,
    Value,
    display_width,
)
from core.money import Money
from core.text import clean_text, formula_like

FONT_NAME = "Noto Sans CJK SC"
SIZE = 11
_FONT = {"name": FONT_NAME, "family": 2, "charset": 134}
BODY = Font(size=SIZE, **_FONT)
BOLD = Font(size=SIZE, bold=True, **_FONT)
TITLE = Font(size=14, bold=True, **_FONT)
META = Font(size=10, **_FONT)
HEADING = Font(size=12, bold=True, **_FONT)
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="E7E6E6")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
MAX_TEXT_WIDTH = 48  # a text column wider than this wraps
MAX_CELL = 32_767  # Excel's limit of characters in a cell

# Widths in Excel's unit (the default font's digit): Noto Sans CJK SC's digits are a little wider
# than its own unit once bold, a Chinese character two units; 3 units of padding (LibreOffice's
# cell margins take one; the rest is room for a substitute font with wider digits).
_BOLD_FACTOR = 1.12
_PADDING = 3.0
_LINE = SIZE * 1.45  # points per line of Noto Sans CJK SC (its ascent and descent are tall)


def _number_format(kind: Kind, places: int) -> str:
    if kind == "amount":
        return "#,##0.00"
    if kind == "integer":
        return "#,##0"
    if kind == "percent":
        return "0." + "0" * places + "%" if places else "0%"
    if kind == "quantity":
        return "#,##0." + "0" * places if places else "#,##0"
    if kind == "date":
        return "yyyy-mm-dd"
    if kind == "datetime":
        return "yyyy-mm-dd hh:mm"
    return "@"


def _cell_value(value: Value, kind: Kind, tz: tzinfo) -> Any:
    """What the cell holds: numbers as numbers, instants in store time (Excel has no zones)."""
    if isinstance(value, Money):
        return value.decimal
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date | Decimal | int) or value is None:
        if isinstance(value, Decimal | int) and kind not in NUMERIC_KINDS:
            return clean_text(str(value))
        return value
    return clean_text(value)[:MAX_CELL]


def _shown(value: Value, kind: Kind, places: int, tz: tzinfo) -> str:
    """The cell as the spreadsheet shows it, to measure its width."""
    if isinstance(value, Money | Decimal | int) and not isinstance(value, bool):
        number = value.decimal if isinstance(value, Money) else Decimal(value)
        if kind in ("amount", "integer", "quantity"):
            decimals = 2 if kind == "amount" else (0 if kind == "integer" else places)
            return f"{number:,.{decimals}f}"
        if kind == "percent":
            return f"{number * 100:.{places}f}%"
    if isinstance(value, datetime):
        return "2026-12-31 23:59"
    return csv_value(value, kind, places=places, tz=tz)


def _put(sheet: Worksheet, row: int, column: int, value: Any, *, fmt: str | None = None) -> Any:
    """Write one cell; text a spreadsheet would run as a formula stays text (a string cell with
    Excel's quote prefix: openpyxl would otherwise store `=...` as a formula)."""
    cell = sheet.cell(row=row, column=column)
    hostile = isinstance(value, str) and formula_like(value)
    if isinstance(value, str) and "\r" in value:
        # a cell's line break is LF; a bare CR would not survive every XML writer and reader
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    cell.value = value
    if isinstance(value, str) and (hostile or cell.data_type == "f"):
        cell.data_type = "s"
        cell.quotePrefix = True
    if fmt is not None:
        cell.number_format = fmt
    return cell


def wrapped_lines(text: str, room: float, *, scale: float = 1.0) -> int:
    """Lines `text` takes when wrapped in `room` units (a spreadsheet breaks at spaces and
    after Chinese punctuation, and inside a word longer than a line); `scale` for a font bigger
    or bolder than the body's."""
    room = max(room, 1.0)
    lines = 0
    for paragraph in text.split("\n"):
        lines += 1
        used = 0.0
        for token in _tokens(paragraph):
            size = display_width(token) * scale
            if used and used + size > room:
                lines += 1
                used = 0.0
            while size > room:  # a word longer than the line breaks inside it
                lines += 1
                size -= room
            used += size
    return max(lines, 1)


def _tokens(text: str) -> list[str]:
    tokens, current = [], ""
    for char in text:
        current += char
        if char in " 　：，、；":
            tokens.append(current)
            current = ""
    if current:
        tokens.append(current)
    return tokens


class _Widths:
    """The width each column needs, in Excel's unit, and the text cells that may wrap."""

    def __init__(self, count: int) -> None:
        self.units = [6.0] * count
        self.texts: list[tuple[int, int, str, bool]] = []  # row, column index, text, bold

    def need(self, index: int, text: str, *, bold: bool = False, row: int = 0) -> None:
        width = display_width(text) * (_BOLD_FACTOR if bold else 1.0) + _PADDING
        self.units[index] = max(self.units[index], width)
        if row and width > MAX_TEXT_WIDTH:
            self.texts.append((row, index, text, bold))

    def heights(self, units: Sequence[float]) -> dict[int, float]:
        """Row heights (points) for rows whose text wraps in the final widths."""
        heights: dict[int, float] = {}
        for row, index, text, bold in self.texts:
            scale = _BOLD_FACTOR if bold else 1.0
            lines = wrapped_lines(text, units[index] - _PADDING, scale=scale)
            if lines > 1:
                heights[row] = max(heights.get(row, 0.0), lines * _LINE + 4)
        return heights


def _title_rows(sheet: Worksheet, report: Report, width: int, total_units: float) -> int:
    """The title block in the first rows, each merged across the tables' width (wrapped, its
    height set for the lines it takes); returns the next free row."""
    row = 1
    for number, text in enumerate(report.title.lines()):
        cell = _put(sheet, row, 1, clean_text(text))
        cell.font = TITLE if number == 0 else META
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        if width > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        size = 14 if number == 0 else 10
        scale = size / SIZE * (_BOLD_FACTOR if number == 0 else 1.0)
        lines = wrapped_lines(text, total_units - _PADDING, scale=scale)
        sheet.row_dimensions[row].height = lines * size * 1.45 + 4
        row += 1
    return row + 1


def _write_table(
    sheet: Worksheet, table: Table, start: int, widths: _Widths, tz: tzinfo, span: int
) -> tuple[int, int]:
    """One table from row `start`: (its header row, the next free row)."""
    row = start
    if table.heading:
        cell = _put(sheet, row, 1, clean_text(table.heading))
        cell.font = HEADING
        if span > 1:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
        row += 1
    header_row = row
    for index, column in enumerate(table.columns, start=1):
        cell = _put(sheet, row, index, clean_text(column.title))
        cell.font, cell.border, cell.fill = BOLD, BOX, HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        widths.need(index - 1, column.title, bold=True)
    places = [table.places(i) for i in range(len(table.columns))]
    for values, bold in [*((r, False) for r in table.rows), *((r, True) for r in table.totals)]:
        row += 1
        for index, (value, column) in enumerate(zip(values, table.columns, strict=True), start=1):
            _value_cell(sheet, row, index, value, column, places[index - 1], tz, bold=bold)
            shown = _shown(value, column.kind, places[index - 1], tz)
            widths.need(index - 1, shown, bold=bold, row=row if column.kind == "text" else 0)
    return header_row, row + 2


def _value_cell(
    sheet: Worksheet,
    row: int,
    index: int,
    value: Value,
    column: Column,
    places: int,
    tz: tzinfo,
    *,
    bold: bool,
) -> None:
    fmt = _number_format(column.kind, places) if column.kind != "text" else None
    cell = _put(sheet, row, index, _cell_value(value, column.kind, tz), fmt=fmt)
    cell.font, cell.border = (BOLD if bold else BODY), BOX
    if bold:
        cell.fill = TOTAL_FILL
    wrap = column.kind == "text"
    horizontal = "right" if column.kind in NUMERIC_KINDS else None
    cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=wrap)


def _page_setup(sheet: Worksheet, spec: Sheet, header_row: int) -> None:
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if spec.landscape else "portrait"
    if spec.fit_width:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0  # as many pages down as it takes
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.page_margins.header = sheet.page_margins.footer = 0.3
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.center.font = FONT_NAME
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=spec.freeze_columns + 1)


def _safe_title(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\, unique."""
    cleaned = "".join("_" if c in "[]:*?/\\" else c for c in clean_text(name)).strip("'") or "表"
    title, n = cleaned[:31], 2
    while title in taken:
        suffix = f"({n})"
        title, n = cleaned[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def _write_sheet(sheet: Worksheet, report: Report, spec: Sheet) -> None:
    tz = report.title.tz
    widths = _Widths(spec.width)
    # tables first (measuring), at rows after a title block of known height
    title_lines = len(report.title.lines())
    row = title_lines + 2
    header_rows: list[int] = []
    for table in spec.tables:
        header_row, row = _write_table(sheet, table, row, widths, tz, spec.width)
        header_rows.append(header_row)
    for note in spec.notes:
        _put(sheet, row, 1, clean_text(note)).font = META
        row += 1
    units = [min(w, MAX_TEXT_WIDTH) for w in widths.units]
    for index, unit in enumerate(units, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = math.ceil(unit * 10) / 10
    for number, height in widths.heights(units).items():
        sheet.row_dimensions[number].height = height
    _title_rows(sheet, report, spec.width, sum(units))
    _page_setup(sheet, spec, header_rows[0] if header_rows else title_lines + 2)


def workbook(report: Report) -> Workbook:
    """The report as an openpyxl workbook (one worksheet per sheet)."""
    book = Workbook()
    # The default font is the unit of column widths: the same face as the cells'.
    book._fonts = IndexedList([BODY])
    book._named_styles["Normal"].font = BODY
    taken: set[str] = set()
    sheets: Sequence[Sheet] = report.sheets or (Sheet(report.title.title, ()),)
    for number, spec in enumerate(sheets):
        sheet = book.active if number == 0 else book.create_sheet()
        sheet.title = _safe_title(spec.name, taken)
        _write_sheet(sheet, report, spec)
    return book


def xlsx_bytes(report: Report) -> bytes:
    """The report as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    workbook(report).save(buffer)
    return buffer.getvalue()


def write_xlsx(report: Report, path: Path) -> None:
    """The report saved as an .xlsx file at `path` (its folder must exist)."""
    path.write_bytes(xlsx_bytes(report))
