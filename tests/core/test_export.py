"""core.export: one description of a report written as CSV and as a printable xlsx; formula-like
text neutralised in both; numbers as numbers with formats; page setup, fonts, borders, widths."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from core.export import (
    FONT_NAME,
    Column,
    Report,
    Sheet,
    Table,
    TitleBlock,
    csv_bytes,
    csv_text,
    display_width,
    xlsx_bytes,
)
from core.export.xlsx_file import wrapped_lines
from core.money import Money

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRINTED = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
HOSTILE = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
COLUMNS = (
    Column("姓名"),
    Column("人数", "integer"),
    Column("余额", "amount"),
    Column("重量kg", "quantity"),
    Column("折扣率", "percent"),
    Column("日期", "date"),
    Column("时间", "datetime"),
)


def _table(names: list[str] | None = None) -> Table:
    names = names or ["张三", "李四"]
    rows = [
        (
            name,
            n,
            Money(123_456_789),
            Decimal("0.512"),
            Decimal("0.05"),
            date(2026, 11, 30),
            PRINTED,
        )
        for n, name in enumerate(names, start=1)
    ]
    total = (
        "合计",
        len(names),
        Money(123_456_789 * len(names)),
        Decimal("1.024"),
        None,
        None,
        None,
    )
    return Table(COLUMNS, rows, totals=[total])


def _report(table: Table, **sheet: object) -> Report:
    title = TitleBlock(
        "慈善购物卡资金月报",
        store="惠济区慈善超市",
        period="2026-11",
        printed_at=PRINTED,
        tz=SHANGHAI,
        seal="ab" * 32,
    )
    return Report(title, [Sheet("资金月报", [table], **sheet)])  # type: ignore[arg-type]


def _sheet(report: Report):
    return load_workbook(io.BytesIO(xlsx_bytes(report))).worksheets[0]


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_writes_values_as_people_and_programs_expect() -> None:
    text = csv_text(_table(), tz=SHANGHAI)
    lines = text.split("\r\n")
    assert lines[0] == "姓名,人数,余额,重量kg,折扣率,日期,时间"
    assert lines[1] == "张三,1,1234567.89,0.512,0.05,2026-11-30,2026-12-01 10:30:00"
    assert lines[3] == "合计,2,2469135.78,1.024,,,"


def test_csv_file_is_utf8_with_bom_for_excel() -> None:
    data = csv_bytes(_table())
    assert data.startswith(b"\xef\xbb\xbf") and "张三".encode() in data
    assert not csv_bytes(_table(), bom=False).startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_neutralises_formula_like_text(text: str) -> None:
    table = Table((Column("姓名"), Column("余额", "amount")), [(text, Money(-2000))])
    line = csv_text(table, header=False, newline="\n")
    cell = next(iter(__import__("csv").reader(io.StringIO(line))))
    assert cell[0] == "'" + text
    assert cell[1] == "-20.00"  # a number is a number: never prefixed


def test_csv_cleans_invisible_characters() -> None:
    table = Table((Column("姓名"),), [("\u202e张三\u200b",)])
    assert csv_text(table, header=False) == "张三\r\n"


def test_a_row_of_the_wrong_width_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="2 values in a table of 1 columns"):
        Table((Column("姓名"),), [("张三", "多余")])


# --- xlsx: values ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_xlsx_keeps_formula_like_text_as_text(text: str) -> None:
    data = xlsx_bytes(_report(_table([text])))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    stored = text.replace("\r", "\n")  # a cell's line break is LF
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == stored)
    assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()


def test_numbers_are_numbers_with_formats() -> None:
    sheet = _sheet(_report(_table()))
    header = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "姓名")
    row = header + 1
    amount, count = sheet.cell(row, 3), sheet.cell(row, 2)
    assert isinstance(amount.value, int | float) and amount.value == pytest.approx(1234567.89)
    assert amount.number_format == "#,##0.00" and count.number_format == "#,##0"
    assert sheet.cell(row, 4).number_format == "#,##0.000"
    assert sheet.cell(row, 5).number_format == "0%" and sheet.cell(row, 5).value == 0.05
    assert sheet.cell(row, 6).value == datetime(2026, 11, 30)
    assert sheet.cell(row, 6).number_format == "yyyy-mm-dd"
    assert sheet.cell(row, 7).value == datetime(2026, 12, 1, 10, 30)  # store time, no zone


def test_control_characters_do_not_break_the_workbook() -> None:
    sheet = _sheet(_report(_table(["张\x07三\x1b"])))
    assert any(c.value == "张三" for row in sheet.iter_rows() for c in row)


# --- xlsx: print -------------------------------------------------------------------------------


def test_the_sheet_prints_on_a4_fitted_to_width_with_repeated_header() -> None:
    sheet = _sheet(_report(_table(), landscape=True, freeze_columns=1))
    header = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "姓名")
    assert int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == f"${header}:${header}"
    assert sheet.freeze_panes == f"B{header + 1}"
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
    portrait = _sheet(_report(_table()))
    assert (
        portrait.page_setup.orientation == "portrait" and portrait.freeze_panes == f"A{header + 1}"
    )


def test_title_block_names_the_store_period_seal_and_time_of_printing() -> None:
    sheet = _sheet(_report(_table()))
    texts = [sheet.cell(r, 1).value for r in range(1, 5)]
    assert texts[0] == "慈善购物卡资金月报"
    assert texts[1] == "门店：惠济区慈善超市　期间：2026-11"
    assert texts[2] == "打印时间：2026-12-01 10:30"  # in store time
    assert texts[3] == "封印：" + "ab" * 32
    assert sheet.cell(1, 1).font.b and sheet.cell(1, 1).font.sz == 14
    assert f"A1:{chr(ord('A') + len(COLUMNS) - 1)}1" in {str(m) for m in sheet.merged_cells.ranges}


def test_every_cell_names_the_cjk_font_and_the_table_has_thin_borders() -> None:
    data = xlsx_bytes(_report(_table()))
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert {c.font.name for c in cells} == {FONT_NAME}
    header = next(r for r in range(1, 10) if sheet.cell(r, 1).value == "姓名")
    for row in range(header, header + 4):
        for column in range(1, len(COLUMNS) + 1):
            border = sheet.cell(row, column).border
            assert {
                border.left.style,
                border.right.style,
                border.top.style,
                border.bottom.style,
            } == {"thin"}
    total = sheet.cell(header + 3, 3)
    assert total.font.b and sheet.cell(header + 1, 3).font.b is not True
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        styles = archive.read("xl/styles.xml").decode()
    first_font = re.search(r"<fonts[^>]*>\s*<font>(.*?)</font>", styles, re.S)
    assert first_font is not None and FONT_NAME in first_font.group(1)  # the default font


def test_widths_come_from_the_content_and_fit_bold_totals() -> None:
    sheet = _sheet(_report(_table()))
    widths = {k: v.width for k, v in sheet.column_dimensions.items()}
    # the bold total 2,469,135.78 (12 characters) gets room for bold digits and padding
    assert widths["C"] >= len("2,469,135.78") * 1.12 + 3
    assert widths["A"] < widths["C"]
    long_names = _sheet(_report(_table(["欧阳" * 10])))
    assert long_names.column_dimensions["A"].width >= 40 * 1.0 + 3  # 20 Chinese characters


def test_display_width_counts_chinese_double() -> None:
    assert display_width("张三") == 4 and display_width("ab") == 2 and display_width("Ａ") == 2
    assert display_width("一行\n长一些的一行") == 12


def test_wrapping_breaks_long_words() -> None:
    assert wrapped_lines("ab" * 32, 40) == 2
    assert wrapped_lines("门店：惠济区慈善超市　期间：2026-11", 100) == 1
    assert wrapped_lines("甲\n乙", 10) == 2


def test_several_sheets_and_sections_as_the_fund_statement_needs() -> None:
    stores = Table(
        (Column("门店"), Column("消费", "amount")), [("01", Money(100))], heading="各门店"
    )
    discount = Table(
        (Column("项目"), Column("金额", "amount")), [("让利", Money(5))], heading="让利"
    )
    report = Report(
        _report(_table()).title,
        [Sheet("资金月报", [_table()]), Sheet("门店/明细:[1]", [stores, discount])],
    )
    book = load_workbook(io.BytesIO(xlsx_bytes(report)))
    assert book.sheetnames == ["资金月报", "门店_明细__1_"]
    second = book.worksheets[1]
    column_a = [second.cell(r, 1).value for r in range(1, second.max_row + 1)]
    assert column_a[0] == "慈善购物卡资金月报"  # the title block on every sheet
    assert "各门店" in column_a and "让利" in column_a
    assert column_a.index("让利") > column_a.index("各门店")
