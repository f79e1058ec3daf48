"""Hostile spreadsheets: a zip bomb is refused from the zip directory before anything is inflated,
a directory that lies is stopped while inflating, and rows, columns and cell sizes are capped the
same way in every format; each refusal is one Chinese line, quickly, in little memory."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.tabular import LIMITS, FileRefused, Limits, open_table
from core.tabular.guard import MIB, GuardedZip

DATA = Path(__file__).resolve().parent.parent / "data"
HEADER_XML = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row>'
)


def _xlsx_members() -> dict[str, bytes]:
    book = Workbook()
    book.active.append(["姓名", "身份证号"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _stream_member(
    members: dict[str, bytes], name: str, pieces: Callable[[], Iterator[bytes]]
) -> bytes:
    """A zip of `members` with `name` written from `pieces`, compressed hard, never held whole."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for member, content in members.items():
            if member != name:
                archive.writestr(member, content)
        with archive.open(name, "w") as target:
            for piece in pieces():
                target.write(piece)
    return buffer.getvalue()


def _bomb_rows(size: int) -> Callable[[], Iterator[bytes]]:
    """A worksheet of `size` bytes: the header, then rows of a name, over and over."""

    def pieces() -> Iterator[bytes]:
        head = (
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{HEADER_XML}"
        ).encode()
        yield head
        block = "".join(
            f'<row><c t="inlineStr"><is><t>张三{n}</t></is></c></row>' for n in range(7)
        ).encode()
        written = len(head)
        while written < size:
            yield block
            written += len(block)
        yield b"</sheetData></worksheet>"

    return pieces


@pytest.fixture(scope="module")
def xlsx_bomb() -> bytes:
    """~400 KB of xlsx whose sheet inflates to 90 MB of XML (the issue's was 297 KB to 87 MB)."""
    return _stream_member(_xlsx_members(), "xl/worksheets/sheet1.xml", _bomb_rows(90 * MIB))


def _measure(data: bytes, name: str) -> tuple[FileRefused, float, int]:
    """Reading `data` to the end: the refusal, the seconds it took, the peak of memory traced."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(FileRefused) as info:
            table = open_table(data, name)
            for _ in table.rows():
                pass
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    print(f"{name}: refused in {elapsed * 1000:.0f} ms, peak {peak / 1024:.0f} KB traced")
    return info.value, elapsed, peak


def test_the_zip_bomb_is_refused_before_inflating(xlsx_bomb: bytes) -> None:
    assert 200 * 1024 < len(xlsx_bomb) < 600 * 1024
    with zipfile.ZipFile(io.BytesIO(xlsx_bomb)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 85 * MIB
    refusal, elapsed, peak = _measure(xlsx_bomb, "名单.xlsx")
    assert "压缩炸弹" in refusal.message and "名单.xlsx" in refusal.message
    assert len(refusal.message.splitlines()) == 1
    assert elapsed < 2.0  # well under a second on a quiet machine; CI shares its cores
    assert peak < 4 * MIB


def test_an_ods_bomb_is_refused_the_same_way() -> None:
    ods = (DATA / "roster_lo.ods").read_bytes()
    with zipfile.ZipFile(io.BytesIO(ods)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}

    def content() -> Iterator[bytes]:
        yield members["content.xml"].split(b"</table:table>")[0]
        row = b"<table:table-row><table:table-cell><text:p>1</text:p></table:table-cell></table:table-row>"
        for _ in range(90 * MIB // len(row) // 1000):
            yield row * 1000
        yield b"</table:table></office:spreadsheet></office:body></office:document-content>"

    bomb = _stream_member(members, "content.xml", content)
    refusal, elapsed, peak = _measure(bomb, "名单.ods")
    assert "压缩炸弹" in refusal.message or "超过上限" in refusal.message
    assert elapsed < 2.0 and peak < 4 * MIB


def test_a_big_file_is_refused_by_its_unpacked_size_too() -> None:
    limits = Limits(unpacked_bytes=2 * MIB, ratio=1000)
    data = _stream_member(_xlsx_members(), "xl/worksheets/sheet1.xml", _bomb_rows(3 * MIB))
    with pytest.raises(FileRefused, match=r"解压后有 3\.\d MB，超过上限 2\.0 MB"):
        open_table(data, "名单.xlsx", limits=limits)


def _lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """The zip with `member`'s uncompressed size in the central directory changed to `declared`."""
    name = member.encode()
    at = -1
    while True:
        at = data.index(b"PK\x01\x02", at + 1)
        (name_length,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46 : at + 46 + name_length] == name:
            break
    return data[: at + 24] + struct.pack("<I", declared) + data[at + 28 :]


def test_a_zip_directory_that_lies_is_stopped_while_inflating(xlsx_bomb: bytes) -> None:
    liar = _lie_about_size(xlsx_bomb, "xl/worksheets/sheet1.xml", 60_000)
    with zipfile.ZipFile(io.BytesIO(liar)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 60_000
    refusal, elapsed, peak = _measure(liar, "名单.xlsx")
    assert "名单.xlsx" in refusal.message
    assert elapsed < 2.0 and peak < 4 * MIB


def test_the_guarded_zip_stops_at_its_budget() -> None:
    data = _stream_member({}, "a.xml", lambda: iter([b"x" * 700_000]))
    archive = GuardedZip(data, "名单.xlsx", Limits(unpacked_bytes=1_000_000))
    archive.read("a.xml")
    archive.read("a.xml")
    with pytest.raises(FileRefused, match="解压出的内容超过上限"):
        archive.read("a.xml")  # 2.1 MB inflated in all, past twice the limit


def test_the_default_limits() -> None:
    assert LIMITS.rows == 100_000 and LIMITS.columns == 200 and LIMITS.cell_chars == 4_000
    assert LIMITS.file_bytes == 32 * MIB and LIMITS.unpacked_bytes == 64 * MIB
    assert LIMITS.ratio == 200


def test_an_oversized_upload_is_refused_before_anything_else() -> None:
    with pytest.raises(FileRefused, match=r"有 1\.0 MB，超过上限 0\.5 MB"):
        open_table(b"x" * MIB, "名单.csv", limits=Limits(file_bytes=MIB // 2))


# --- rows, columns and cells, alike in every format ----------------------------------------


def _book(rows: list[list[object]]) -> Workbook:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    return book


def _as(kind: str, rows: list[list[object]]) -> tuple[bytes, str]:
    if kind == "csv":
        text = "\r\n".join(",".join(str(c) for c in row) for row in rows)
        return text.encode("utf-8"), "名单.csv"
    buffer = io.BytesIO()
    _book(rows).save(buffer)
    return buffer.getvalue(), "名单.xlsx"


def _ods_with(cells_xml: str) -> bytes:
    """The LibreOffice roster with one more row (202), of `cells_xml`."""
    return _ods_with_row(f"<table:table-row>{cells_xml}</table:table-row>")


def _ods_with_row(row_xml: str) -> bytes:
    """The LibreOffice roster with `row_xml` added after its last row."""
    ods = (DATA / "roster_lo.ods").read_bytes()
    with zipfile.ZipFile(io.BytesIO(ods)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    row = row_xml.encode()
    content = members["content.xml"]
    at = content.index(b'<table:table-row table:style-name="ro1" table:number-rows-repeated')
    members["content.xml"] = content[:at] + row + content[at:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, member in members.items():
            archive.writestr(name, member)
    return buffer.getvalue()


def _cell(text: str, repeat: int = 1) -> str:
    return (
        f'<table:table-cell table:number-columns-repeated="{repeat}" office:value-type="string">'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_rows_past_the_limit_are_refused(kind: str) -> None:
    limits = Limits(rows=10)
    rows: list[list[object]] = [["姓名"]] + [[f"张{n}"] for n in range(10)]
    data, name = _as(kind, rows)
    assert len(list(open_table(data, name, limits=limits).rows())) == 10
    data, name = _as(kind, [*rows, ["一个太多"]])
    with pytest.raises(FileRefused, match="超过 10 行（第 12 行仍有内容）"):
        list(open_table(data, name, limits=limits).rows())


@pytest.mark.parametrize("name", ["roster_lo.xls", "roster_lo.ods", "roster_lo.xlsx"])
def test_rows_past_the_limit_are_refused_in_the_saved_formats(name: str) -> None:
    data = (DATA / name).read_bytes()
    assert len(list(open_table(data, name, limits=Limits(rows=200)).rows())) == 200
    with pytest.raises(FileRefused, match="超过 199 行（第 201 行仍有内容）"):
        list(open_table(data, name, limits=Limits(rows=199)).rows())


def test_a_repeated_ods_row_counts_each_time() -> None:
    row = f'<table:table-row table:number-rows-repeated="500000">{_cell("张三")}</table:table-row>'
    started = time.perf_counter()
    with pytest.raises(FileRefused, match="超过 100000 行"):
        list(open_table(_ods_with_row(row), "名单.ods").rows())
    assert time.perf_counter() - started < 2.0  # counted, not expanded


def test_libreoffice_s_million_empty_rows_and_16384_empty_columns_cost_nothing() -> None:
    content = zipfile.ZipFile(DATA / "roster_lo.ods").read("content.xml")
    assert b'table:number-columns-repeated="16376"' in content
    assert b"table:number-rows-repeated" in content
    started = time.perf_counter()
    rows = list(open_table((DATA / "roster_lo.ods").read_bytes(), "名单.ods").rows())
    assert len(rows) == 200 and max(len(row) for _, row in rows) == 8
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_columns_past_the_limit_are_refused(kind: str) -> None:
    limits = Limits(columns=8)
    data, name = _as(kind, [["姓名"] + [f"列{n}" for n in range(7)], ["张三"] * 8])
    assert len(list(open_table(data, name, limits=limits).rows())) == 1
    data, name = _as(kind, [["姓名"], ["张三"] * 9])
    with pytest.raises(FileRefused, match="第 2 行用到了第 9 列（上限 8 列）"):
        list(open_table(data, name, limits=limits).rows())


def test_a_cell_far_to_the_right_in_an_xlsx_is_refused() -> None:
    book = _book([["姓名"], ["张三"]])
    book.active["XFD2"] = "远处"
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(FileRefused, match="第 2 行用到了第 16384 列"):
        list(open_table(buffer.getvalue(), "名单.xlsx").rows())


def test_repeated_ods_cells_with_content_count_as_columns() -> None:
    data = _ods_with(_cell("张三", repeat=300))
    with pytest.raises(FileRefused, match="第 202 行用到了第 300 列（上限 200 列）"):
        list(open_table(data, "名单.ods").rows())


@pytest.mark.parametrize("kind", ["csv", "xlsx", "ods"])
def test_cells_past_the_size_limit_are_refused(kind: str) -> None:
    limits = Limits(cell_chars=50)
    if kind == "ods":
        fine, name = _ods_with(_cell("长" * 50)), "名单.ods"
        long = _ods_with(_cell("长" * 51))
        row, column = 202, "A"
    else:
        fine, name = _as(kind, [["姓名", "备注"], ["张三", "长" * 50]])
        long, _ = _as(kind, [["姓名", "备注"], ["张三", "长" * 51]])
        row, column = 2, "B"
    list(open_table(fine, name, limits=limits).rows())
    with pytest.raises(FileRefused, match=f"第 {row} 行 {column} 列有 51 个字符（上限 50）"):
        list(open_table(long, name, limits=limits).rows())


def test_a_csv_field_past_csv_s_own_limit_is_refused_in_chinese() -> None:
    data = ('姓名,备注\r\n张三,"' + "长" * 200_000 + '"\r\n').encode()
    with pytest.raises(FileRefused, match="第 2 行附近有超过 131072 个字符的单元格"):
        list(open_table(data, "名单.csv").rows())


def test_the_header_is_read_before_any_row() -> None:
    """The header is all `open_table` reads: a caller refuses a wrong header before the rows
    (here: a cell past the limit on row 3) are read at all."""
    data = ("姓名,备注\r\n张三,短\r\n李四," + "长" * 10_000 + "\r\n").encode()
    table = open_table(data, "名单.csv")
    assert table.header == ("姓名", "备注")
    rows = table.rows()
    assert next(rows) == (2, ("张三", "短"))
    with pytest.raises(FileRefused, match="第 3 行"):
        next(rows)
