"""The columns of a kind of file, declared once: a `Columns` spec names each column with the
headers people write for it (Chinese as in the bureau's files, English too) and whether it is
required; `Header` is where a file has them. And `cell_text`, a cell as text.

    ROSTER = Columns(
        Column("name", "姓名", "name", required=True),
        Column("town", "镇街", "街道", "town"),
    )
    header = ROSTER.locate(table.header)  # ValidationError naming the missing required columns
    header.text(row, "town")              # "" when the file has no such column
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from core.errors import ValidationError


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


# --- columns --------------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def header_key(text: str) -> str:
    """A header as compared: full-width forms folded (NFKC: `重量（kg）` is `重量(kg)`), spaces
    removed, case ignored."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).casefold()


@dataclass(frozen=True, init=False)
class Column:
    """One column of a kind of file: its name in the program (`key`), the headers accepted for it
    (the first is its label in messages) and whether a file must have it."""

    key: str
    headers: tuple[str, ...]
    required: bool

    def __init__(self, key: str, *headers: str, required: bool = False) -> None:
        if not headers:
            raise ValueError(f"column {key!r} needs at least one header")
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "headers", headers)
        object.__setattr__(self, "required", required)

    @property
    def label(self) -> str:
        return self.headers[0]


class Columns:
    """The columns of one kind of file, declared once (see the module's docstring)."""

    def __init__(self, *columns: Column) -> None:
        self.columns = columns
        self._by_key = {c.key: c for c in columns}
        if len(self._by_key) != len(columns):
            raise ValueError("two columns with the same key")
        self._by_header: dict[str, str] = {}
        for c in columns:
            for text in c.headers:
                seen = self._by_header.setdefault(header_key(text), c.key)
                if seen != c.key:
                    raise ValueError(f"header {text!r} is claimed by {seen!r} and {c.key!r}")

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns if c.required)

    @property
    def labels(self) -> dict[str, str]:
        """Each column's label (its first header), by key: for messages about a cell."""
        return {c.key: c.label for c in self.columns}

    def label(self, key: str) -> str:
        return self._by_key[key].label

    def locate(self, header: Sequence[Any]) -> Header:
        """Where each known column is in a file's header row (row 1); a header that names no
        column is ignored, and a column named twice is read from its first place. A missing
        required column is a `ValidationError` naming every missing one, e.g.
        `第 1 行（表头）缺少列：身份证号、类别；应有：姓名、身份证号、类别`."""
        found: dict[str, int] = {}
        for index, cell in enumerate(header):
            key = self._by_header.get(header_key(cell_text(cell)))
            if key is not None and key not in found:
                found[key] = index
        missing = [self.label(k) for k in self.required if k not in found]
        if missing:
            wanted = "、".join(self.label(k) for k in self.required)
            raise ValidationError(f"第 1 行（表头）缺少列：{'、'.join(missing)}；应有：{wanted}")
        return Header(found)


class Header(Mapping[str, int]):
    """The columns found in one file: a mapping of column key to its index in each row."""

    def __init__(self, found: Mapping[str, int]) -> None:
        self._found = dict(found)

    def __getitem__(self, key: str) -> int:
        return self._found[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)

    def __repr__(self) -> str:
        return f"Header({self._found!r})"

    def value(self, row: Sequence[Any], key: str) -> Any:
        """The cell of column `key` as the file holds it; None when the file has no such column
        or the row is shorter."""
        index = self._found.get(key)
        return row[index] if index is not None and index < len(row) else None

    def text(self, row: Sequence[Any], key: str) -> str:
        """The cell of column `key` as text (`cell_text`); "" when absent."""
        return cell_text(self.value(row, key))

    def texts(self, row: Sequence[Any]) -> dict[str, str]:
        """Every found column of `row` as text, by key."""
        return {key: self.text(row, key) for key in self._found}
