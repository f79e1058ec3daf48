"""The readers of each format, all alike: numbered rows of the first sheet with cell values as the
file types them (numbers stay numbers, so a caller can tell an ID number a spreadsheet program
stored as a number), every row through the same `RowCheck`.

- .xlsx: openpyxl in read-only mode, streaming the sheet's XML from a `GuardedZip`;
- .xls (Excel 97-2003): xlrd, on the whole file (the format is not compressed and holds at most
  65,536 rows, and the file itself is within `Limits.file_bytes`);
- .ods: `core.tabular.ods`, streamed;
- .csv: UTF-8 (with or without BOM), GBK or GB18030, decoded as a stream once the encoding is
  known.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from core.errors import ValidationError
from core.tabular.guard import SAVE_AS, THEN_SAVE_AS, FileRefused, GuardedZip, RowCheck

Rows = Iterator[tuple[int, tuple[Any, ...]]]

_ENCODINGS = (("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030"))


def _decodes(data: bytes | memoryview, encoding: str) -> bool:
    """Whether `data` is valid in `encoding`, checked in pieces (the text is not kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for start in range(0, len(data), 1 << 20):
            decoder.decode(data[start : start + (1 << 20)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def csv_encoding(data: bytes) -> tuple[str, str, int]:
    """(codec, name shown, bytes to skip) of a CSV file: UTF-8 (BOM or not), else GBK, else
    GB18030 (a superset of GBK that also has rare name characters)."""
    view = memoryview(data)
    if data.startswith(b"\xef\xbb\xbf") and _decodes(view[3:], "utf-8"):
        return "utf-8", "UTF-8 (BOM)", 3
    for codec, name in _ENCODINGS:
        if _decodes(view, codec):
            return codec, name, 0
    raise ValidationError("无法识别文件编码：CSV 应为 UTF-8、GBK 或 GB18030 编码")


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding found (`csv_encoding`)."""
    codec, name, skip = csv_encoding(data)
    return data[skip:].decode(codec), name


def csv_rows(data: bytes, check: RowCheck) -> tuple[Rows, str]:
    """The rows of a CSV file, streamed, and its encoding's name."""
    codec, name, skip = csv_encoding(data)
    stream = io.TextIOWrapper(io.BytesIO(data[skip:]), encoding=codec, newline="")
    first = stream.readline()
    delimiter = "\t" if "\t" in first and "," not in first else ","
    stream.seek(0)

    def rows() -> Rows:
        # csv's own field limit (131,072) is module state; the cell limit is checked per row.
        reader = csv.reader(stream, delimiter=delimiter)
        number = 0
        try:
            for number, cells in enumerate(reader, start=1):
                row = check.row(number, cells)
                if row is not None:
                    yield number, row
        except csv.Error as exc:
            if "field larger" in str(exc):
                raise FileRefused(
                    f"文件 {check.filename} 第 {number + 1} 行附近有超过 131072 个字符的单元格"
                    f"（上限 {check.limits.cell_chars}），未读取；请检查该行"
                ) from None
            raise ValidationError(f"CSV 格式错误（第 {number + 1} 行附近）：{exc}") from None

    return rows(), name


def xlsx_rows(data: bytes, archive: GuardedZip, check: RowCheck) -> Rows:
    """The first sheet of an .xlsx, streamed (formulas give the value last calculated)."""
    book = _open_xlsx(data, archive, check.filename)
    sheet = book.worksheets[0]
    sheet.reset_dimensions()  # rows as long as their cells, not as the declared used range
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            row = check.row(number, cells)
            if row is not None:
                yield number, row
    except FileRefused:
        raise
    except Exception:  # openpyxl raises many kinds for a broken sheet
        raise _broken(check.filename, "Excel（.xlsx）") from None
    finally:
        book.close()


def _open_xlsx(data: bytes, archive: GuardedZip, filename: str) -> Any:
    """openpyxl's read-only workbook, reading every part through the guarded archive."""
    from openpyxl.reader.excel import ExcelReader

    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        reader.archive.close()  # it opened the zip itself; the guarded one reads instead
        reader.archive = archive
        reader.read()
    except FileRefused:
        raise
    except Exception:  # openpyxl raises many kinds for a broken workbook
        raise _broken(filename, "Excel（.xlsx）") from None
    if not reader.wb.worksheets:
        raise FileRefused(f"无法读取 {filename}：Excel 文件里没有工作表")
    return reader.wb


def _broken(filename: str, what: str) -> FileRefused:
    return FileRefused(
        f"无法读取 {filename}：{what}文件已损坏，打不开。请重新获取文件，或{SAVE_AS}"
    )


def xls_rows(data: bytes, check: RowCheck) -> Rows:
    """The first sheet of an Excel 97-2003 workbook (.xls)."""
    import xlrd

    try:
        book = xlrd.open_workbook(
            file_contents=data, on_demand=True, ragged_rows=True, logfile=io.StringIO()
        )
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise FileRefused(
                f"无法读取 {check.filename}：这是设了打开密码的 Excel 文件（.xls）。"
                f"请先在 Excel/WPS 中取消打开密码，{THEN_SAVE_AS}"
            ) from None
        raise _broken(check.filename, "旧版 Excel（.xls）") from None
    except Exception:  # xlrd raises struct.error, AssertionError, ... on broken files
        raise _broken(check.filename, "旧版 Excel（.xls）") from None
    try:
        sheet = book.sheet_by_index(0)
    except Exception:  # a broken sheet
        book.release_resources()
        raise _broken(check.filename, "旧版 Excel（.xls）") from None
    try:
        for index in range(sheet.nrows):
            cells = sheet.row(index)
            if len(cells) > check.limits.columns:
                used = [i for i, c in enumerate(cells) if _xls_value(c, 0) is not None]
                if used and used[-1] >= check.limits.columns:
                    raise check.refuse_columns(index + 1, used[-1] + 1)
                cells = cells[: check.limits.columns]
            row = check.row(index + 1, [_xls_value(c, book.datemode) for c in cells])
            if row is not None:
                yield index + 1, row
    finally:
        book.release_resources()


def _xls_value(cell: Any, datemode: int) -> Any:
    """An xlrd cell as openpyxl would give it for an .xlsx."""
    import xlrd

    kind, value = cell.ctype, cell.value
    if kind == xlrd.XL_CELL_NUMBER:
        return int(value) if float(value).is_integer() and abs(value) < 2**53 else value
    if kind == xlrd.XL_CELL_DATE:
        try:
            moment: datetime = xlrd.xldate.xldate_as_datetime(value, datemode)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return value
        return moment.date() if moment.time() == datetime.min.time() else moment
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERR")
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    return value
