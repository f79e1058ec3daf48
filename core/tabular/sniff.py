"""What a file is, by its content (its name only breaks a tie): a workbook we read (.xlsx, .xls,
.ods), text we read as CSV, or something else, named in one Chinese line that says what it seems
to be and what to do. An .ods renamed .xlsx is read as the .ods it is."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from core.tabular.guard import SAVE_AS, THEN_SAVE_AS, FileRefused, GuardedZip, Limits

Kind = Literal["xlsx", "xls", "ods", "csv"]

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_TYPES = (
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.spreadsheet-template",
)
_ODF_OTHERS = {
    "application/vnd.oasis.opendocument.text": "OpenDocument 文字文档（.odt）",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument 演示文稿（.odp）",
    "application/vnd.oasis.opendocument.graphics": "OpenDocument 绘图（.odg）",
}
_BINARY_KINDS = (".xlsx", ".xlsm", ".xls", ".ods", ".et", ".numbers", ".xlsb")
COPY_FIRST = "请先把名单复制到表格中，" + THEN_SAVE_AS
UNZIP_FIRST = "请先解压，再导入里面的 .xlsx、.xls、.ods 或 .csv 文件"
OPEN_AND_SAVE = "请用 Excel/WPS/LibreOffice 打开它，" + THEN_SAVE_AS.removeprefix(
    "再在 Excel/WPS/LibreOffice 中"
)
_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF", "一个 PDF 文件", "请找到生成它的原始表格，" + THEN_SAVE_AS.removeprefix("再")),
    (b"\x89PNG", "一张图片（PNG），图里的字读不出来", "请先把名单录入表格，" + THEN_SAVE_AS),
    (b"\xff\xd8\xff", "一张图片（JPEG），图里的字读不出来", "请先把名单录入表格，" + THEN_SAVE_AS),
    (b"GIF8", "一张图片（GIF），图里的字读不出来", "请先把名单录入表格，" + THEN_SAVE_AS),
    (b"{\\rtf", "一份 RTF 文档", COPY_FIRST),
    (b"Rar!", "一个 RAR 压缩包", UNZIP_FIRST),
    (b"7z\xbc\xaf\x27\x1c", "一个 7z 压缩包", UNZIP_FIRST),
    (b"\x1f\x8b", "一个 gzip 压缩文件", UNZIP_FIRST),
)


@dataclass
class Found:
    """A file we can read: its kind, and for a workbook its (checked) zip archive."""

    kind: Kind
    archive: GuardedZip | None = None


def refuse(filename: str, what: str, todo: str = SAVE_AS) -> FileRefused:
    """The one line for a file we cannot read: what it seems to be, and what to do."""
    return FileRefused(f"无法读取 {filename}：这是{what}。{todo}")


def identify(data: bytes, filename: str, limits: Limits) -> Found:
    """The kind of `data`, or `FileRefused` naming what it is instead."""
    for magic, what, todo in _MAGIC:
        if data.startswith(magic):
            raise refuse(filename, what, todo)
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_kind(data, filename, limits)
    if data.startswith(OLE2):
        return Found(_ole2_kind(data, filename))
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise refuse(
            filename,
            "UTF-16 编码的文本（Excel 另存为“Unicode 文本”所得），CSV 应为 UTF-8、GBK 或 GB18030 编码",
        )
    if b"\x00" in head:
        raise refuse(filename, "一个无法识别的二进制文件，不是表格，也不是任何文字编码的 CSV")
    _text_kind(head, filename)
    return Found("csv")


def _zip_kind(data: bytes, filename: str, limits: Limits) -> Found:
    try:
        archive = GuardedZip(data, filename, limits)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise FileRefused(
            f"无法读取 {filename}：文件已损坏（不完整的压缩包，Excel 等表格文件本是压缩包），"
            f"可能没有下载或复制完整。请重新获取文件，或{SAVE_AS}"
        ) from None
    names = set(archive.namelist())
    if "xl/workbook.xml" in names:
        return Found("xlsx", archive)
    if "mimetype" in names:
        mimetype = _small_member(archive, "mimetype")
        if mimetype in ODS_TYPES:
            if _odf_encrypted(archive):
                raise refuse(
                    filename,
                    "设了打开密码的 ODS 表格",
                    "请先在 LibreOffice 中取消密码，" + THEN_SAVE_AS,
                )
            return Found("ods", archive)
        if mimetype in _ODF_OTHERS:
            raise refuse(filename, _ODF_OTHERS[mimetype], COPY_FIRST)
    if "xl/workbook.bin" in names:
        raise refuse(filename, "一个 Excel 二进制工作簿（.xlsb），本程序读不了这种格式")
    if "word/document.xml" in names:
        raise refuse(filename, "一份 Word 文档（.docx），不是表格", COPY_FIRST)
    if "ppt/presentation.xml" in names:
        raise refuse(filename, "一份 PowerPoint 演示文稿（.pptx），不是表格", COPY_FIRST)
    if any(n.startswith("Index/") or n == "Index.zip" for n in names):
        raise refuse(
            filename,
            "一个苹果 Numbers 表格（.numbers），本程序读不了这种格式",
            "请在 Numbers 中“导出为” Excel 或 CSV 后再导入",
        )
    raise refuse(filename, "一个 zip 压缩包，不是 Excel 或 ODS 表格", UNZIP_FIRST)


def _small_member(archive: zipfile.ZipFile, name: str) -> str:
    info = archive.getinfo(name)
    if info.file_size > 4096:
        return ""
    return archive.read(name).decode("ascii", "replace").strip()


def _odf_encrypted(archive: zipfile.ZipFile) -> bool:
    try:
        info = archive.getinfo("META-INF/manifest.xml")
    except KeyError:
        return False
    if info.file_size > 1024 * 1024:
        return False
    return b"encryption-data" in archive.read(info)


def _ole2_kind(data: bytes, filename: str) -> Kind:
    """An OLE2 compound file: an .xls, or a Word/PowerPoint file, or an encrypted .xlsx."""
    from xlrd.compdoc import CompDoc

    try:
        names = {entry.name for entry in CompDoc(data, logfile=io.StringIO()).dirlist}
    except Exception:  # xlrd raises CompDocError, AssertionError, IndexError on broken files
        raise FileRefused(
            f"无法读取 {filename}：文件已损坏（旧版 Office 格式，无法打开）。请重新获取文件，或"
            f"{SAVE_AS}"
        ) from None
    if "EncryptionInfo" in names or "EncryptedPackage" in names:
        raise refuse(
            filename,
            "设了打开密码的 Excel 文件",
            "请先在 Excel/WPS 中取消打开密码，" + THEN_SAVE_AS,
        )
    if "Workbook" in names or "Book" in names:
        return "xls"
    if "WordDocument" in names:
        raise refuse(filename, "一份 Word 文档（.doc），不是表格", COPY_FIRST)
    if "PowerPoint Document" in names:
        raise refuse(filename, "一份 PowerPoint 演示文稿（.ppt），不是表格", COPY_FIRST)
    raise refuse(filename, "一个旧版 Office 文件，但里面没有表格")


def _text_kind(head: bytes, filename: str) -> None:
    """Text: a CSV, unless it is a web page or an XML file (what some systems save as ".xls"),
    or its name says it should be a workbook."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<meta", b"<head")):
        raise refuse(
            filename,
            "网页（HTML）格式的表格（有些系统导出的“.xls”其实是网页）",
            OPEN_AND_SAVE,
        )
    if start.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
            raise refuse(filename, "Excel 2003 XML 表格", OPEN_AND_SAVE)
        raise refuse(filename, "一个 XML 文件，不是表格")
    suffix = PurePath(filename).suffix.lower()
    if suffix in _BINARY_KINDS:
        raise FileRefused(
            f"无法读取 {filename}：扩展名是 {suffix}，内容却是纯文本，不是真正的 {suffix} 文件；"
            f"如果它是 CSV，请把扩展名改为 .csv；否则{SAVE_AS}"
        )
