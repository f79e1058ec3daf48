import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from core.errors import ValidationError
from core.tabular import Column, Columns, cell_text, decode_csv, header_key, raw_rows, read_table

TEXT = "姓名,身份证号\r\n张三云,410108196001010012\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "UTF-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "UTF-8 (BOM)"),
        (TEXT.encode("gbk"), "GBK"),
        ("姓名\r\n䶮\r\n".encode("gb18030"), "GB18030"),  # 䶮 is not in GBK
    ],
)
def test_csv_encodings_are_detected(data: bytes, encoding: str) -> None:
    text, found = decode_csv(data)
    assert found == encoding
    assert text.splitlines()[1].startswith(("张三云", "䶮"))


def test_undecodable_bytes_are_a_clear_error() -> None:
    with pytest.raises(ValidationError, match="编码"):
        decode_csv(b"\xff\xfe\x00\x81\x30")


def test_xlsx_keeps_raw_values_and_reads_as_text() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号", "标价", "日期"])
    sheet.append(["张三", 410108196001010000, 43.1, datetime(2026, 1, 5)])
    buffer = io.BytesIO()
    book.save(buffer)
    rows, kind = raw_rows(buffer.getvalue(), "roster.xlsx")
    assert kind == "xlsx"
    # an ID Excel stored as a number stays a number, so the roster can say its digits are lost
    assert isinstance(list(rows)[1][1], int | float)
    table = read_table(buffer.getvalue(), "roster.xlsx")
    assert [table[1][0], table[1][2], table[1][3]] == ["张三", "43.1", "2026-01-05"]


def test_old_excel_and_broken_files_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"\.xls"):
        read_table(b"whatever", "roster.xls")
    with pytest.raises(ValidationError, match="Excel"):
        read_table(b"PK\x03\x04broken", "roster.xlsx")


def test_cell_text() -> None:
    assert cell_text(None) == ""
    assert cell_text(39.0) == "39"
    assert cell_text(0.1) == "0.1"
    assert cell_text(date(2026, 3, 31)) == "2026-03-31"
    assert cell_text(True) == "是"
    assert cell_text("  a ") == "a"


ROSTER = Columns(
    Column("name", "姓名", "name", required=True),
    Column("id_number", "身份证号", "身份证号码", "id_number", "id", required=True),
    Column("category", "类别", "救助类别", "category", required=True),
    Column("town", "镇街", "乡镇(街道)", "town"),
    Column("weight_kg", "重量kg", "重量(kg)", "重量（kg）", "weight"),
)


def test_headers_are_found_in_chinese_or_english_whatever_the_spelling() -> None:
    header = ROSTER.locate(["ID", " 姓 名 ", "Category", "乡镇（街道）", "备注", "重量（KG）"])
    assert dict(header) == {"id_number": 0, "name": 1, "category": 2, "town": 3, "weight_kg": 5}
    assert header["name"] == 1 and header.get("town") == 3 and "备注" not in header
    assert header_key("重量（ＫＧ） ") == header_key("重量(kg)")


def test_cells_by_column() -> None:
    rows, _ = raw_rows(
        "姓名,身份证号,类别\r\n 张三 ,410108196001010012,低保\r\n李四\r\n".encode(), "a.csv"
    )
    header = ROSTER.locate(next(rows))
    first, short = list(rows)
    assert header.text(first, "name") == "张三" and header.value(first, "category") == "低保"
    assert header.text(first, "town") == "" and header.value(first, "town") is None  # no column
    assert header.value(short, "category") is None  # a short row
    assert header.texts(first) == {
        "name": "张三",
        "id_number": "410108196001010012",
        "category": "低保",
    }


def test_xlsx_cells_keep_their_type() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "类别"])
    sheet.append([410108196001010000, "张三", "低保"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows, _ = raw_rows(buffer.getvalue(), "roster.xlsx")
    header = ROSTER.locate(next(rows))
    assert isinstance(header.value(next(rows), "id_number"), int | float)


def test_missing_required_columns_are_named_in_chinese() -> None:
    with pytest.raises(ValidationError) as info:
        ROSTER.locate(["name", "town"])
    assert info.value.message == "第 1 行（表头）缺少列：身份证号、类别；应有：姓名、身份证号、类别"
    with pytest.raises(ValidationError, match="缺少列：姓名、身份证号、类别"):
        ROSTER.locate([])


def test_a_column_named_twice_is_read_from_its_first_place() -> None:
    assert ROSTER.locate(["姓名", "name", "身份证号", "类别"])["name"] == 0


def test_labels_and_required() -> None:
    assert ROSTER.required == ("name", "id_number", "category")
    assert ROSTER.label("weight_kg") == "重量kg"
    assert ROSTER.labels["town"] == "镇街"


def test_a_spec_cannot_claim_one_header_twice() -> None:
    with pytest.raises(ValueError, match="类别"):
        Columns(Column("category", "类别"), Column("kind", "类别 "))
    with pytest.raises(ValueError, match="same key"):
        Columns(Column("a", "甲"), Column("a", "乙"))
    with pytest.raises(ValueError, match="header"):
        Column("a")
