"""The limits every spreadsheet is read within, whatever its format, and the zip checks that come
before anything is inflated.

A workbook (.xlsx, .ods) is a zip file. Its directory declares each member's size, so a file that
would inflate past `Limits.unpacked_bytes`, or a member that inflates more than `Limits.ratio`
times (real sheets do 5 to 60 times; a zip bomb thousands), is refused before one byte is
inflated. While reading, `GuardedZip` counts what comes out and stops at the declared size and at
the budget, so a directory that lies cannot get past either. Rows, columns and cell sizes are
checked on each row as it is read (`RowCheck`), the same for every format.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import IO, Any, Literal, cast

from core.errors import ValidationError
from core.text import clean_text

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one file may hold. The defaults fit a city's roster (100,000 people) with room."""

    file_bytes: int = 32 * MIB  # the file as uploaded
    unpacked_bytes: int = 64 * MIB  # every zip member inflated, together
    ratio: int = 200  # inflated / compressed, for a member past `ratio_floor`
    ratio_floor: int = 1 * MIB
    rows: int = 100_000  # data rows, the header not counted
    columns: int = 200
    cell_chars: int = 4_000


LIMITS = Limits()


class FileRefused(ValidationError):
    """A file refused whole, before or while reading it: one Chinese line saying why and what to
    do."""


SAVE_AS = "请在 Excel/WPS/LibreOffice 中另存为 .xlsx、.xls、.ods 或 .csv 后再导入"
THEN_SAVE_AS = "再在 Excel/WPS/LibreOffice 中另存为 .xlsx、.xls、.ods 或 .csv 后导入"


def _mb(size: int) -> str:
    if size < MIB // 2:
        return f"{max(size // 1024, 1)} KB"
    return f"{size / MIB:.0f} MB" if size >= 10 * MIB else f"{size / MIB:.1f} MB"


def check_size(data: bytes, filename: str, limits: Limits) -> None:
    """The file as given: refused when larger than `limits.file_bytes`, or empty."""
    if not data:
        raise FileRefused(f"文件 {filename} 是空的（0 字节），没有可读的内容")
    if len(data) > limits.file_bytes:
        raise FileRefused(
            f"文件 {filename} 有 {_mb(len(data))}，超过上限 {_mb(limits.file_bytes)}，未读取；"
            "请分成几个文件导入"
        )


def check_zip(archive: zipfile.ZipFile, filename: str, limits: Limits) -> None:
    """The zip directory's declared sizes against the limits, before anything is inflated."""
    total = 0
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise FileRefused(f"无法读取 {filename}：文件设了密码（加密的压缩文件）。{SAVE_AS}")
        total += info.file_size
        packed = max(info.compress_size, 1)
        if info.file_size > limits.ratio_floor and info.file_size > limits.ratio * packed:
            raise FileRefused(
                f"文件 {filename} 中的 {info.filename} 会从 {_mb(info.compress_size)} 解压成 "
                f"{_mb(info.file_size)}（{info.file_size // packed} 倍），不像正常的表格"
                f"（像“压缩炸弹”），未读取；请检查文件来源，或另存为 .csv 后再导入"
            )
    if total > limits.unpacked_bytes:
        raise FileRefused(
            f"文件 {filename} 解压后有 {_mb(total)}，超过上限 {_mb(limits.unpacked_bytes)}，"
            "未读取；请分成几个文件，或另存为 .csv 后再导入"
        )


class _Capped(io.BufferedIOBase):
    """A zip member being inflated, counted: past its declared size or the archive's budget it
    stops with `FileRefused`."""

    def __init__(self, inner: IO[bytes], name: str, left: int, archive: GuardedZip) -> None:
        self._inner = inner
        self._name = name
        self._left = left
        self._archive = archive

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(64 * 1024), b""))
        data = self._inner.read(size)
        self._left -= len(data)
        self._archive.spend(len(data))
        if self._left < 0:
            raise self._archive.refusal(f"{self._name} 解压出的内容比它声明的大小多")
        return data

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def close(self) -> None:
        self._inner.close()
        super().close()


class GuardedZip(zipfile.ZipFile):
    """A zip file whose members are read through `_Capped`: at most their declared size each,
    and at most twice `Limits.unpacked_bytes` in all (a reader may open a member twice)."""

    def __init__(self, data: bytes, filename: str, limits: Limits) -> None:
        super().__init__(io.BytesIO(data))
        self.display_name = filename
        self.limits = limits
        self._budget = 2 * limits.unpacked_bytes
        check_zip(self, filename, limits)

    def spend(self, size: int) -> None:
        self._budget -= size
        if self._budget < 0:
            raise self.refusal("解压出的内容超过上限")

    def refusal(self, why: str) -> FileRefused:
        return FileRefused(
            f"文件 {self.display_name} {why}，不像正常的表格，已停止读取；请检查文件来源，"
            "或另存为 .csv 后再导入"
        )

    def open(
        self,
        name: str | zipfile.ZipInfo,
        mode: Literal["r", "w"] = "r",
        pwd: bytes | None = None,
        *,
        force_zip64: bool = False,
    ) -> IO[bytes]:
        inner = super().open(name, mode, pwd, force_zip64=force_zip64)
        if mode != "r":
            return inner
        info = name if isinstance(name, zipfile.ZipInfo) else self.getinfo(name)
        return cast(IO[bytes], _Capped(inner, info.filename, info.file_size, self))


def column_name(index: int) -> str:
    """A column as a spreadsheet names it: 0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class RowCheck:
    """The same checks on every row of every format: the row count, the columns used, the size
    of each text cell; text cleaned (`core.text.clean_text`), trailing empty cells dropped."""

    def __init__(self, filename: str, limits: Limits) -> None:
        self.filename = filename
        self.limits = limits

    def refuse_row(self, number: int) -> FileRefused:
        return FileRefused(
            f"文件 {self.filename} 超过 {self.limits.rows} 行（第 {number} 行仍有内容），未读取；"
            "请分成几个文件导入"
        )

    def refuse_columns(self, number: int, used: int) -> FileRefused:
        return FileRefused(
            f"文件 {self.filename} 第 {number} 行用到了第 {used} 列（上限 {self.limits.columns} "
            "列），不像正常的名单或目录，未读取；请删去多余的列后再导入"
        )

    def refuse_cell(self, number: int, index: int, size: int) -> FileRefused:
        return FileRefused(
            f"文件 {self.filename} 第 {number} 行 {column_name(index)} 列有 {size} 个字符"
            f"（上限 {self.limits.cell_chars}），未读取；请检查该单元格"
        )

    def text(self, number: int, index: int, value: str) -> str:
        """One text cell: its size checked, then cleaned."""
        if len(value) > self.limits.cell_chars:
            raise self.refuse_cell(number, index, len(value))
        return clean_text(value)

    def row(self, number: int, cells: Sequence[Any]) -> tuple[Any, ...] | None:
        """A row ready for the caller, or None when it is blank."""
        end = len(cells)
        while end and is_blank(cells[end - 1]):
            end -= 1
        if not end:
            return None
        if number > self.limits.rows + 1:
            raise self.refuse_row(number)
        if end > self.limits.columns:
            raise self.refuse_columns(number, end)
        return tuple(self.value(number, i, v) for i, v in enumerate(cells[:end]))

    def value(self, number: int, index: int, value: Any) -> Any:
        """One cell, alike whatever the format: text checked and cleaned, a date with no time of
        day a `date` (openpyxl gives a datetime, xlrd and the .ods reader a date)."""
        if isinstance(value, str):
            return self.text(number, index, value)
        if isinstance(value, datetime) and value.time() == time() and value.tzinfo is None:
            return value.date()
        return value
