"""The kernel's export writer: every file the project hands out (CSV and printable Excel) is made
here, from one description of the report.

    report = Report(
        title=TitleBlock("慈善购物卡资金月报", store="惠济区慈善超市", period="2026-11",
                         printed_at=now, tz=tz, seal="3f9c…"),
        sheets=[Sheet("资金月报", [Table(columns, rows, totals=[total_row])], landscape=True)],
    )
    path.write_bytes(xlsx_bytes(report))      # A4, fitted to the page width, ready to print
    csv_bytes(table)                         # UTF-8 with BOM, for Excel

A `Table` is columns (a title and a kind: text, integer, amount, quantity, percent, date,
datetime) and rows of values (`Money`, `Decimal`, `int`, `str`, dates); a `Sheet` holds one or
more tables (sections, each with its heading), printed portrait or landscape; a `Report` has the
title block printed on every sheet (store, period, seal, time of printing) and its sheets.

Every text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
is neutralised: written as text with a leading apostrophe in CSV (OWASP), as a string cell (never
a formula) with Excel's quote prefix in xlsx. Numbers are numbers in xlsx, with their formats.
"""

from __future__ import annotations

from core.export.csv_file import csv_bytes, csv_text, csv_value
from core.export.model import (
    Column,
    Kind,
    Report,
    Sheet,
    Table,
    TitleBlock,
    Value,
    display_width,
)
from core.export.xlsx_file import FONT_NAME, write_xlsx, xlsx_bytes

__all__ = [
    "FONT_NAME",
    "Column",
    "Kind",
    "Report",
    "Sheet",
    "Table",
    "TitleBlock",
    "Value",
    "csv_bytes",
    "csv_text",
    "csv_value",
    "display_width",
    "write_xlsx",
    "xlsx_bytes",
]
