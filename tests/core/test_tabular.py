import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from core.errors import ValidationError
from core.tabular import cell_text, decode_csv, raw_rows, read_table

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
