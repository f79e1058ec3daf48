"""A table as CSV: values as the text people and programs expect (`50.00`, `2026-12-01`), text
cleaned of invisible characters and neutralised when a spreadsheet would run it as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, tzinfo
from decimal import Decimal

from core.export.model import Kind, Table, Value
from core.money import Money
from core.text import clean_text, neutralise_csv


def _decimal(value: Decimal | int, places: int) -> str:
    number = Decimal(value)
    return f"{number:.{places}f}" if places else f"{number.quantize(Decimal(1)):f}"


def csv_value(value: Value, kind: Kind, *, places: int = 0, tz: tzinfo | None = None) -> str:
    """One value as CSV text (`places`: decimals of a quantity column, or of a percent column in
    percentage points: a rate 0.05 is written `0.05`)."""
    if value is None:
        return ""
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        moment = value.astimezone(tz) if tz is not None and value.tzinfo is not None else value
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int) and kind in ("amount", "quantity", "percent", "integer"):
        if kind == "amount":
            return _decimal(value, 2)
        return _decimal(value, places + 2 if kind == "percent" else places)
    return neutralise_csv(clean_text(str(value)))


def csv_text(
    table: Table, *, header: bool = True, newline: str = "\r\n", tz: tzinfo | None = None
) -> str:
    """The table as CSV text: the column titles first (unless `header` is False), then the rows
    and the totals."""
    lines: list[str] = []
    if header:
        lines.append(_line([neutralise_csv(clean_text(c.title)) for c in table.columns]))
    places = [table.places(i) for i in range(len(table.columns))]
    for row in (*table.rows, *table.totals):
        lines.append(
            _line(
                [
                    csv_value(value, column.kind, places=places[i], tz=tz)
                    for i, (value, column) in enumerate(zip(row, table.columns, strict=True))
                ]
            )
        )
    return "".join(line + newline for line in lines)


def _line(cells: list[str]) -> str:
    """One CSV line without its end. Written with CRLF as the terminator, so that a cell holding
    a CR or LF is quoted whatever line end the file uses."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2]


def csv_bytes(table: Table, *, bom: bool = True, tz: tzinfo | None = None) -> bytes:
    """The table as a CSV file: UTF-8, with a BOM (so Excel on Windows reads Chinese right) and
    CRLF line ends."""
    data = csv_text(table, tz=tz).encode("utf-8")
    return b"\xef\xbb\xbf" + data if bom else data
