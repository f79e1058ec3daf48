"""Reading the spreadsheets the bureau sends: .xlsx (openpyxl) or .csv in UTF-8 (with or without
BOM), GBK or GB18030, detected. One reader for the roster, the catalog and the clothing intake."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from core.errors import ValidationError


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding found: UTF-8 (BOM or not), else GBK, else
    GB18030 (a superset of GBK that also has rare name characters)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise ValidationError("无法识别文件编码：CSV 应为 UTF-8、GBK 或 GB18030 编码") from None
    try:
        data.decode("gbk")
    except UnicodeDecodeError:
        return text, "GB18030"
    return text, "GBK"


def is_xlsx(data: bytes, filename: str) -> bool:
    """An Excel workbook by its name or its content (a zip file)."""
    return filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04"


def raw_rows(data: bytes, filename: str) -> tuple[Iterator[Sequence[Any]], str]:
    """The rows of the first sheet (or of the CSV) with cell values as the file holds them
    (numbers stay numbers, so a caller can tell an ID number Excel stored as a number), and the
    format found ("xlsx", "UTF-8", "GBK", ...)."""
    if filename.lower().endswith(".xls"):
        raise ValidationError(f"不支持旧版 Excel（.xls）文件 {filename}，请另存为 .xlsx 或 .csv")
    if is_xlsx(data, filename):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = [tuple(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ValidationError(f"无法读取 Excel 文件 {filename}：{exc}") from None
        return iter(rows), "xlsx"
    text, encoding = decode_csv(data)
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ValidationError(f"CSV 格式错误：{exc}") from None
    return iter(lines), encoding


def cell_text(value: Any) -> str:
    """A cell as text without float noise: 43.1 stays "43.1", 39.0 becomes "39", a date its ISO
    form, a yes/no cell 是/否."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)  # the shortest text that round-trips
    return str(value).strip()


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """Every row as text cells, the header first."""
    rows, _ = raw_rows(data, filename)
    return [[cell_text(value) for value in row] for row in rows]
