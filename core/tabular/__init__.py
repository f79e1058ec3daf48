"""Reading the spreadsheets the bureau sends: one reader for the roster, the catalog and the
clothing intake, whatever program saved them.

Formats, found by content: .xlsx (openpyxl, streamed), .xls (Excel 97-2003, xlrd), .ods
(LibreOffice, streamed by `core.tabular.ods`), .csv in UTF-8 (with or without BOM), GBK or
GB18030. Anything else (a .doc, a PDF, a zip that is not a workbook, an encrypted workbook, a
Numbers file, a web page saved as ".xls") is refused in one Chinese line naming what it seems to
be and what to do.

Every format is read the same way: the header (row 1) first, so a caller checks it before one
more row is read; then the rows with content, numbered as in the file; within the same limits
(`Limits`: file size, unpacked size and compression ratio checked before inflating, rows, columns,
cell size); text cells cleaned of bidirectional controls and invisible characters
(`core.text.clean_text`).

    table = open_table(data, "名册.xls")
    header = ROSTER_COLUMNS.locate(table.header)   # `core.tabular.columns`
    for number, row in table.rows():
        header.text(row, "name")
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from core.tabular.columns import Column, Columns, Header, cell_text, header_key
from core.tabular.formats import (
    Rows,
    csv_rows,
    decode_csv,
    xls_rows,
    xlsx_rows,
)
from core.tabular.guard import LIMITS, FileRefused, Limits, RowCheck, check_size
from core.tabular.ods import ods_rows
from core.tabular.sniff import Kind, identify

__all__ = [
    "LIMITS",
    "Column",
    "Columns",
    "FileRefused",
    "Header",
    "Kind",
    "Limits",
    "TableFile",
    "cell_text",
    "decode_csv",
    "header_key",
    "open_table",
    "raw_rows",
    "read_table",
]


class TableFile:
    """One file's first sheet: `header` (row 1, as the file holds it; () when row 1 is blank),
    then `rows()`, the rows with content after it, each with its number in the file."""

    def __init__(self, filename: str, kind: Kind, encoding: str, rows: Rows) -> None:
        self.filename = filename
        self.kind = kind
        self.encoding = encoding  # "xlsx", "xls", "ods", or the CSV's: "UTF-8", "GBK", ...
        self._rows = rows
        self._next: tuple[int, tuple[Any, ...]] | None = None
        self.header: tuple[Any, ...] = ()
        first = next(rows, None)
        if first is not None and first[0] == 1:
            self.header = first[1]
        else:
            self._next = first

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The rows with content after the header, read as they are asked for."""
        if self._next is not None:
            yield self._next
            self._next = None
        yield from self._rows

    @property
    def empty(self) -> bool:
        """Nothing in the file at all (no header, no rows): only known before `rows()`."""
        return not self.header and self._next is None


def open_table(data: bytes, filename: str, *, limits: Limits = LIMITS) -> TableFile:
    """The file's first sheet, its header read; `FileRefused` (a `ValidationError`) when the
    file cannot be read or passes a limit, with one Chinese line naming why."""
    check_size(data, filename, limits)
    found = identify(data, filename, limits)
    check = RowCheck(filename, limits)
    if found.kind == "csv":
        rows, encoding = csv_rows(data, check)
        return TableFile(filename, "csv", encoding, rows)
    if found.kind == "xls":
        return TableFile(filename, "xls", "xls", xls_rows(data, check))
    assert found.archive is not None
    if found.kind == "ods":
        return TableFile(filename, "ods", "ods", ods_rows(found.archive, check))
    return TableFile(filename, "xlsx", "xlsx", xlsx_rows(data, found.archive, check))


def raw_rows(data: bytes, filename: str) -> tuple[Iterator[Sequence[Any]], str]:
    """The header and every row after it (blank ones as ()), cell values as the file holds them,
    and the format found ("xlsx", "ods", "UTF-8", "GBK", ...)."""
    table = open_table(data, filename)

    def rows() -> Iterator[Sequence[Any]]:
        yield table.header
        expected = 2
        for number, row in table.rows():
            for _ in range(expected, number):
                yield ()
            yield row
            expected = number + 1

    return rows(), table.encoding


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """Every row as text cells, the header first (blank rows as [])."""
    rows, _ = raw_rows(data, filename)
    return [[cell_text(value) for value in row] for row in rows]
