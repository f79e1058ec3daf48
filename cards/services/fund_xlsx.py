"""The fund statement as an Excel workbook (amounts as numbers in yuan with two decimals)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from cards.services.fund_report import REPORT_COLUMNS, FundReport
from core.money import Money


def write_report_xlsx(report: FundReport, path: Path, *, store_name: str) -> None:
    """The report as an Excel workbook (amounts as numbers in yuan with two decimals)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"资金月报{report.month}"
    sheet.append([f"{store_name} 慈善购物卡资金月报 {report.month}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([title for title, _ in REPORT_COLUMNS])
    for r in [*report.rows, report.total]:
        values: list[Decimal | int | str] = []
        for _, name in REPORT_COLUMNS:
            value = getattr(r, name)
            values.append(Money(value).decimal if name.endswith("_fen") else value)
        sheet.append(values)
    for row in sheet.iter_rows(min_row=3, min_col=3, max_col=len(REPORT_COLUMNS)):
        for cell in row:
            cell.number_format = "#,##0.00"
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
