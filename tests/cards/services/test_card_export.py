"""The card list through the export writer: the contract's csv columns, unchanged for ordinary
names; a name stored before imports refused formulas is neutralised; the printable list."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from cards.services.card_export import card_list_csv, card_list_report
from cards.services.cards import CardEntry
from core.export import csv_text, xlsx_bytes

ENTRIES = [
    CardEntry("8600000000000017", "410108200210030742", "戴文春", "低保", "active", 5000, "tok1"),
    CardEntry(
        "8600000000000025", "410108194312038827", '=HYPERLINK("x")', "优抚", "frozen", 0, "t2"
    ),
]


def test_the_contract_columns_and_values() -> None:
    text = csv_text(card_list_csv(ENTRIES, base_url="http://shop"), newline="\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["card_no", "id_number", "name", "category", "status", "balance", "qr_url"]
    assert rows[1] == [
        "8600000000000017",
        "410108200210030742",
        "戴文春",
        "低保",
        "active",
        "50.00",
        "http://shop/b/tok1",
    ]
    assert rows[2][2] == '\'=HYPERLINK("x")' and rows[2][5] == "0.00"
    assert text.endswith("\n") and "\r" not in text


def test_the_printable_card_list() -> None:
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    report = card_list_report(ENTRIES, store="惠济区慈善超市", at=at, tz=ZoneInfo("Asia/Shanghai"))
    sheet = load_workbook(io.BytesIO(xlsx_bytes(report))).worksheets[0]
    column_a = [sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)]
    assert column_a[0] == "慈善购物卡清单" and "期间：截至 2026-12-01" in column_a[1]
    assert column_a[2] == "打印时间：2026-12-01 10:00"
    total = column_a.index("合计") + 1
    assert sheet.cell(total, 2).value == "2 张卡" and sheet.cell(total, 6).value == 50
    hostile = next(c for row in sheet.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert hostile.data_type == "s"
