"""core.tabular reads every format alike: the same rows with the same numbers and the same cell
types from .xlsx, .xls, .ods and CSV in each encoding, and names what it cannot read in one
Chinese line. The .xls and .ods fixtures were saved by LibreOffice (tests/data/make_fixtures.py)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.tabular import FileRefused, cell_text, open_table, read_table
from tests.core.ole2 import compound_file, encrypted_xls_stream

DATA = Path(__file__).resolve().parent.parent / "data"
SAVE_AS = "另存为 .xlsx、.xls、.ods 或 .csv"


def _rows(
    data: bytes, name: str
) -> tuple[tuple[object, ...], list[tuple[int, tuple[object, ...]]]]:
    table = open_table(data, name)
    return table.header, list(table.rows())


def _as_text(rows: list[tuple[int, tuple[object, ...]]]) -> list[tuple[int, list[str]]]:
    return [(number, [cell_text(v) for v in row]) for number, row in rows]


def _roster_csv(encoding: str) -> bytes:
    """The bureau's roster as the CSV a spreadsheet program would save (IDs as text)."""
    header, rows = _rows((DATA / "roster.xlsx").read_bytes(), "roster.xlsx")
    lines = [",".join(str(c) for c in header)]
    lines += [",".join(cell_text(c) for c in row) for _, row in rows]
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    return text.encode(encoding)


ROSTER_FILES = ["roster.xlsx", "roster_lo.xlsx", "roster_lo.xls", "roster_lo.ods"]


@pytest.mark.parametrize("name", ROSTER_FILES)
def test_the_roster_reads_the_same_in_every_format(name: str) -> None:
    header, rows = _rows((DATA / name).read_bytes(), name)
    base_header, base = _rows((DATA / "roster.xlsx").read_bytes(), "roster.xlsx")
    assert (
        header
        == base_header
        == ("序号", "姓名", "身份证号", "类别", "镇街", "村社区", "联系电话", "家庭人口")
    )
    assert len(rows) == 200 and rows[0][0] == 2 and rows[-1][0] == 201
    assert _as_text(rows) == _as_text(base)


@pytest.mark.parametrize(
    ("encoding", "found"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 (BOM)"), ("gbk", "GBK"), ("gb18030", "GBK")],
)
def test_the_roster_as_csv_reads_the_same_in_each_encoding(encoding: str, found: str) -> None:
    table = open_table(_roster_csv(encoding), "roster.csv")
    assert table.encoding == found and table.kind == "csv"
    _, base = _rows((DATA / "roster.xlsx").read_bytes(), "roster.xlsx")
    assert _as_text(list(table.rows())) == _as_text(base)


def test_gb18030_only_characters() -> None:
    table = open_table("姓名\r\n䶮\r\n".encode("gb18030"), "a.csv")
    assert table.encoding == "GB18030" and list(table.rows()) == [(2, ("䶮",))]


def test_the_shipped_gbk_roster() -> None:
    table = open_table((DATA / "roster_gbk.csv").read_bytes(), "roster_gbk.csv")
    assert table.encoding == "GBK" and "姓名" in table.header
    assert sum(1 for _ in table.rows()) > 100


@pytest.mark.parametrize("name", ["awkward.xlsx", "awkward.xls", "awkward.ods"])
def test_awkward_cells_read_alike_in_every_format(name: str) -> None:
    header, rows = _rows((DATA / name).read_bytes(), name)
    assert header[:3] == ("序号", "姓名", "身份证号")
    # the blank row 3 is skipped; the others keep their numbers in the file
    assert [number for number, _ in rows] == [2, 4, 5]
    (_, first), (_, second), (_, third) = rows
    # invisible characters are gone from names (U+202E, a zero-width space, a soft hyphen)
    assert (first[1], second[1], third[1]) == ("张三云", "李四", "王五")
    # an ID stored as a number stays a number, so the roster can say its digits are lost
    assert isinstance(first[2], int | float) and not isinstance(first[2], bool)
    assert second[2] == "410108196001010012" and third[2] == "41010819600101002X"
    # dates are dates (a datetime at midnight too), a date and time a datetime
    assert first[4] == date(2026, 1, 5)
    assert second[4] == datetime(2026, 1, 5, 10, 30)
    assert third[4] == "2026-01-05"  # typed as text, stays text
    # numbers, a formula's value, a multi-line cell; the comment on B2 is not a cell
    assert (first[5], second[5], third[5]) == (12.5, 6, 0.1)
    assert second[7] == "多行\n文字"
    assert cell_text(first[6]) in ("是", "1") and cell_text(second[6]) in ("否", "0")
    assert all("批注" not in cell_text(c) for _, row in rows for c in row)


def test_an_ods_renamed_xlsx_is_read_as_the_ods_it_is() -> None:
    table = open_table((DATA / "roster_lo.ods").read_bytes(), "roster.xlsx")
    assert table.kind == "ods" and sum(1 for _ in table.rows()) == 200


def test_read_table_keeps_blank_rows_in_place() -> None:
    table = read_table((DATA / "awkward.ods").read_bytes(), "awkward.ods")
    assert [row[0] if row else "" for row in table] == ["序号", "1", "", "2", "3"]


def _zip(members: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _xlsx() -> bytes:
    book = Workbook()
    book.active.append(["姓名"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


ODT = "application/vnd.oasis.opendocument.text"
UNREADABLE = [
    ("名单.doc", compound_file("WordDocument", b"x"), "Word 文档（.doc）"),
    ("名单.ppt", compound_file("PowerPoint Document", b"x"), "PowerPoint"),
    ("名单.xls", compound_file("Workbook", encrypted_xls_stream()), "设了打开密码的 Excel 文件"),
    ("名单.xlsx", (DATA / "encrypted.xlsx").read_bytes(), "设了打开密码的 Excel 文件"),
    ("名单.xls", compound_file("Other", b"x"), "旧版 Office 文件，但里面没有表格"),
    ("名单.numbers", _zip({"Index/Document.iwa": b"x"}), "Numbers"),
    ("名单.xlsx", _zip({"名单.xlsx": _xlsx()}), "zip 压缩包"),
    ("名单.docx", _zip({"[Content_Types].xml": "x", "word/document.xml": "x"}), "Word 文档"),
    ("名单.xlsx", _zip({"mimetype": ODT, "content.xml": "x"}), "OpenDocument 文字文档"),
    ("名单.xlsb", _zip({"[Content_Types].xml": "x", "xl/workbook.bin": "x"}), ".xlsb"),
    ("名单.pdf", b"%PDF-1.4\n...", "PDF 文件"),
    ("名单.png", b"\x89PNG\r\n\x1a\n", "图片"),
    ("名单.rar", b"Rar!\x1a\x07\x00", "RAR 压缩包"),
    ("名单.xls", b"<html><body><table><tr><td>1</td></tr></table>", "网页（HTML）"),
    (
        "名单.xls",
        b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
        "Excel 2003 XML",
    ),
    ("名单.xls", "姓名,身份证号\n张三,1\n".encode(), "内容却是纯文本"),
    ("名单.csv", bytes(range(256)) * 4, "二进制文件"),
    ("名单.txt", "姓名\t类别\r\n".encode("utf-16"), "UTF-16 编码的文本"),
    ("名单.xlsx", b"PK\x03\x04broken", "已损坏"),
    ("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200, "已损坏"),
    ("名单.csv", b"", "空的"),
]


@pytest.mark.parametrize(("name", "data", "what"), UNREADABLE, ids=[u[2] for u in UNREADABLE])
def test_what_cannot_be_read_is_named_in_one_chinese_line(
    name: str, data: bytes, what: str
) -> None:
    with pytest.raises(FileRefused) as info:
        list(open_table(data, name).rows())
    message = info.value.message
    assert what in message and name in message
    assert len(message.splitlines()) == 1
    assert message.isascii() is False and "Error" not in message and "zip file" not in message
    # and what to do
    if "压缩包" in what:
        assert "请先解压" in message
    elif what == "Numbers":
        assert "导出为” Excel 或 CSV" in message
    elif what != "空的":
        assert SAVE_AS in message


def test_a_broken_sheet_inside_a_good_zip_is_named() -> None:
    good = _xlsx()
    with zipfile.ZipFile(io.BytesIO(good)) as source:
        members = {n: source.read(n) for n in source.namelist()}
    members["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row r='1'><c"
    with pytest.raises(FileRefused, match="已损坏"):
        list(open_table(_zip(members), "名单.xlsx").rows())
