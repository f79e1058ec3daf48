"""The printer adapter over python-escpos 3.1: layout operations in, ESC/POS bytes out, sent to
the backend `printer.kind` names (none, dummy, file, network, usb, serial, cups).

All text is encoded here, to GB18030 or GBK (`printer.encoding`), and sent raw: python-escpos's
own text encoder guesses code pages and prints `?` for ￥, Chinese punctuation and rare
characters. A character the printer cannot print (not in the encoding, or, under GB18030, outside
the Basic Multilingual Plane, which GB18030 printer fonts do not carry) makes its line print as
an image drawn with a CJK font (`printer.fallback = "image"`), or be replaced by a visible □ and
logged, never silently. No backend may hold the caller for long: every send runs under a deadline
of a few seconds (`printer.timeout_seconds`), never python-escpos's 60 s socket default.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from core.config import PrinterSettings, Settings
from pos.printing import code128
from pos.printing.document import Document
from pos.printing.layout import Barcode, Cut, Drawer, Feed, Layout, Qr, Text, layout_document
from pos.printing.raster import font_for, line_image, qr_image

log = logging.getLogger(__name__)

ESC = b"\x1b"
GS = b"\x1d"
INIT = ESC + b"@"
CHINESE_MODE = b"\x1c\x26"  # FS &: select Kanji (Hanzi) character mode
STATUS_PRINTER = b"\x10\x04\x01"  # DLE EOT 1: real-time printer status
STATUS_PAPER = b"\x10\x04\x04"  # DLE EOT 4: roll paper sensor status
REPLACEMENT = "□"

DOTS = {58: 384, 80: 576}  # printable dots per line at 203 dpi
BARCODE_HEIGHT = 64  # dots (8 mm)
BARCODE_MODULES = (3, 2)  # dots per narrowest bar, widest first; 1 only if nothing else fits


class PrinterError(Exception):
    """The printer could not be reached or refused the job; the message is Chinese, for people."""


def _escpos() -> Any:
    """python-escpos, imported with its capabilities cache in a known directory (it otherwise
    makes a new temporary directory at every import)."""
    directory = os.environ.setdefault(
        "ESCPOS_CAPABILITIES_PICKLE_DIR", str(Path(tempfile.gettempdir()) / "charity-escpos")
    )
    Path(directory).mkdir(parents=True, exist_ok=True)
    import escpos.capabilities
    import escpos.constants
    import escpos.escpos
    import escpos.image

    return escpos


# --- what the printer can print ----------------------------------------------------------------


def printable(char: str, encoding: str) -> bool:
    """True when `char` encodes in `encoding` and a printer font of that encoding carries it: an
    ASCII byte or a multi-byte code (GBK's one-byte € at 0x80 is no printer's character)."""
    if encoding == "gb18030" and ord(char) > 0xFFFF:
        return False
    try:
        encoded = char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return ord(char) < 0x80 or len(encoded) > 1


def unprintable(text: str, encoding: str) -> list[str]:
    return [c for c in dict.fromkeys(text) if not printable(c, encoding)]


# --- rendering -----------------------------------------------------------------------------------


@dataclass
class Rendered:
    """The bytes of one document and what had to be done about unprintable characters."""

    data: bytes
    warnings: list[str] = field(default_factory=list)
    image_lines: int = 0


def _raster(image: Image.Image) -> bytes:
    """GS v 0: a raster bit image (black = 1), as python-escpos's EscposImage prepares it."""
    escpos = _escpos()
    im = escpos.image.EscposImage(image.convert("RGB"))
    low_high = escpos.escpos.Escpos._int_low_high
    header = GS + b"v0" + b"\x00" + low_high(im.width_bytes, 2) + low_high(im.height, 2)
    return bytes(header + im.to_raster_format())


def _barcode(op: Barcode, paper_dots: int) -> tuple[bytes, str | None]:
    """GS h / w / H / f / k: a centred CODE128 of the data with its text below, bars as wide as
    fit the paper; a warning when only the thinnest bars fit, none at all when even they don't."""
    width = code128.modules(op.data)
    module = next((m for m in BARCODE_MODULES if width * m <= paper_dots), 1)
    if width * module > paper_dots:
        return b"", f"条码 {op.data} 过长（{width} 模块），未打印"
    data = code128.escpos_data(op.data)
    command = (
        GS + b"h" + bytes([BARCODE_HEIGHT])
        + GS + b"w" + bytes([module])
        + GS + b"H\x02"  # the text below the bars
        + GS + b"f\x00"
        + GS + b"k" + bytes([73, len(data)]) + data
    )  # fmt: skip
    warning = None if module > 1 else f"条码 {op.data} 只能以最细线条打印，可能难以扫描"
    return command, warning


def _needs_chinese_mode(printer: PrinterSettings, profile: Any) -> bool:
    if printer.chinese_mode == "on":
        return True
    if printer.chinese_mode == "off":
        return False
    # auto: every GB18030/GBK printer accepts FS & (most start in it); Star's own command set
    # does not use it
    return not profile.supports("starCommands")


def _dummy(printer: PrinterSettings) -> Any:
    escpos = _escpos()
    from escpos.printer import Dummy

    try:
        return Dummy(profile=printer.profile)
    except (escpos.capabilities.NotSupported, KeyError):
        raise PrinterError(
            f"打印机型号配置 printer.profile = {printer.profile!r} 不存在（python-escpos 无此型号）"
        ) from None


def render_layout(layout: Layout, printer: PrinterSettings) -> Rendered:
    """ESC/POS bytes for a layout: init, Chinese mode, text encoded by us, QR, cut, drawer."""
    qr_ec = _escpos().constants.QR_ECLEVEL_M

    p = _dummy(printer)
    out = Rendered(b"")
    encoding = printer.encoding
    paper_dots = DOTS[printer.paper_width_mm]
    p._raw(INIT)
    if _needs_chinese_mode(printer, p.profile):
        p._raw(CHINESE_MODE)
    state: dict[str, Any] = {"align": "left", "bold": False, "double": False}

    def style(align: str, bold: bool, double: bool) -> None:
        if state["double"] != double:
            p.set(custom_size=True, width=2 if double else 1, height=2 if double else 1)
        if state["bold"] != bold:
            p.set(bold=bold)
        if state["align"] != align:
            p.set(align=align)
        state.update(align=align, bold=bold, double=double)

    for op in layout.ops:
        if isinstance(op, Text):
            text = op.text if op.align == "left" else op.text.strip()
            bad = unprintable(text, encoding)
            if bad:
                font = font_for(printer) if printer.fallback == "image" else None
                if font is not None and all(font.has(c) for c in bad):
                    style("left", False, False)
                    p._raw(_raster(line_image(op, layout.width, font)))
                    out.image_lines += 1
                    continue
                for char in bad:
                    text = text.replace(char, REPLACEMENT)
                why = (
                    "未找到含此字的中文字体"
                    if printer.fallback == "image"
                    else "printer.fallback = replace"
                )
                message = (
                    f"字符 {'、'.join(bad)}（{', '.join(f'U+{ord(c):04X}' for c in bad)}）"
                    f"无法用 {encoding} 打印，已替换为 {REPLACEMENT}（{why}）"
                )
                log.warning("receipt line %r: %s", op.text, message)
                out.warnings.append(message)
            style(op.align, op.bold, op.double)
            p._raw(text.rstrip().encode(encoding) + b"\n")
        elif isinstance(op, Qr):
            style("center", False, False)
            if printer.qr == "native":
                p.qr(op.data, native=True, size=6 if printer.paper_width_mm == 80 else 5, ec=qr_ec)
                p._raw(b"\n")
            else:
                style("left", False, False)
                p._raw(_raster(qr_image(op.data, paper_dots)))
        elif isinstance(op, Barcode):
            style("center", False, False)
            command, warning = _barcode(op, paper_dots)
            p._raw(command)
            if warning:
                log.warning("receipt barcode: %s", warning)
                out.warnings.append(warning)
        elif isinstance(op, Feed):
            p._raw(b"\n" * op.lines)
        elif isinstance(op, Cut):
            style("left", False, False)
            p.cut()
        elif isinstance(op, Drawer):
            if printer.drawer_kick:
                p.cashdraw(printer.drawer_pin)
    out.data = bytes(p.output)
    return out


def render(document: Document, settings: Settings) -> Rendered:
    """A document's bytes for this deployment's printer (paper width, encoding, QR mode)."""
    layout = layout_document(document, width=settings.printer.columns, tz=settings.tz)
    return render_layout(layout, settings.printer)


# --- sending -------------------------------------------------------------------------------------


def _timeout(printer: PrinterSettings) -> float:
    return max(0.1, float(printer.timeout_seconds))


def _with_deadline(what: str, seconds: float, action: Callable[[], None]) -> None:
    """Run `action` in a helper thread and give up waiting after `seconds` (a blocked device
    write cannot be interrupted; the thread is left to finish or die with the process)."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=run, name=f"printer-{what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise PrinterError(f"打印机（{what}）{seconds:g} 秒内无响应")
    if failure:
        exc = failure[0]
        if isinstance(exc, PrinterError):
            raise exc
        raise PrinterError(f"打印机（{what}）出错：{_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ") or type(exc).__name__
    return re.sub(r"\s+", " ", text)[:200]


def _check_status(sock: socket.socket, deadline: float) -> None:
    """Ask for printer and paper status (DLE EOT 1, 4); a printer that does not answer within the
    deadline is taken as stalled. Offline or out of paper refuses the job."""
    sock.sendall(STATUS_PRINTER + STATUS_PAPER)
    answer = b""
    while len(answer) < 2:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(2 - len(answer))
        except TimeoutError:
            break
        if not chunk:
            raise PrinterError("打印机关闭了连接")
        answer += chunk
    if not answer:
        raise PrinterError("打印机无应答（状态查询超时）")
    if len(answer) >= 2 and answer[1] & 0x60 == 0x60:
        raise PrinterError("打印机缺纸")
    if answer[0] & 0x08:
        raise PrinterError("打印机脱机（缺纸或上盖打开）")


def _send_network(data: bytes, printer: PrinterSettings) -> None:
    from escpos.exceptions import DeviceNotFoundError
    from escpos.printer import Network

    if not printer.host:
        raise PrinterError("未配置网络打印机地址 printer.host")
    timeout = _timeout(printer)
    where = f"{printer.host}:{printer.port}"

    class _Network(Network):  # type: ignore[misc]
        """python-escpos's Network, but the socket is closed when the connection fails."""

        def open(self, raise_not_found: bool = True) -> None:
            try:
                self.device = socket.create_connection((self.host, self.port), self.timeout)
            except OSError as exc:
                raise DeviceNotFoundError(_reason(exc)) from exc

    device = _Network(printer.host, printer.port, timeout=timeout, profile=printer.profile)
    try:
        try:
            device.open()
        except DeviceNotFoundError as exc:
            raise PrinterError(f"无法连接打印机 {where}：{_reason(exc.__cause__ or exc)}") from None
        sock = device.device
        deadline = time.monotonic() + timeout
        try:
            if printer.status_check:
                _check_status(sock, deadline)
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            device._raw(data)
        except TimeoutError:
            raise PrinterError(f"打印机 {where} {timeout:g} 秒内未接收数据") from None
        except OSError as exc:
            raise PrinterError(f"打印机 {where} 连接中断：{_reason(exc)}") from None
    finally:
        device.close()


def _send_dummy(data: bytes, printer: PrinterSettings, name: str) -> None:
    directory = Path(printer.device or "var/printer")
    directory.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^0-9A-Za-z_.-]", "_", name)[:80] or "job"
    (directory / f"{safe}.bin").write_bytes(data)


def _send_device(data: bytes, printer: PrinterSettings, name: str) -> None:
    from escpos import printer as backends

    timeout = _timeout(printer)
    if printer.kind == "file":
        if not printer.device:
            raise PrinterError("未配置打印机设备文件 printer.device（如 /dev/usb/lp0）")
        device: Any = backends.File(devfile=printer.device, profile=printer.profile)
    elif printer.kind == "serial":
        if not printer.device:
            raise PrinterError("未配置串口 printer.device（如 /dev/ttyUSB0）")
        device = backends.Serial(
            devfile=printer.device,
            baudrate=printer.baudrate,
            timeout=timeout,
            profile=printer.profile,
        )
    elif printer.kind == "usb":
        if not (printer.vendor_id and printer.product_id):
            raise PrinterError("未配置 USB 打印机 printer.vendor_id / printer.product_id")
        device = backends.Usb(
            printer.vendor_id,
            printer.product_id,
            timeout=int(timeout * 1000),
            profile=printer.profile,
        )
    elif printer.kind == "cups":
        if not backends.CupsPrinter.is_usable():
            raise PrinterError("CUPS 打印需要安装 pycups（pip install pycups）")
        device = backends.CupsPrinter(printer_name=printer.cups_name, profile=printer.profile)
    else:
        raise PrinterError(f"未知的打印机类型 printer.kind = {printer.kind!r}")

    def write() -> None:
        try:
            if printer.kind == "cups":
                device.open(job_name=name)
            else:
                device.open()
            device._raw(data)
        finally:
            device.close()

    _with_deadline(printer.kind, timeout * 2, write)


def send(data: bytes, printer: PrinterSettings, *, name: str = "receipt") -> None:
    """Deliver bytes to the configured printer within a few seconds, or raise PrinterError."""
    _escpos()
    if printer.kind == "none":
        raise PrinterError("未启用打印机（printer.kind = none）")
    if printer.kind == "dummy":
        _send_dummy(data, printer, name)
    elif printer.kind == "network":
        # the socket timeouts bound each step; the deadline bounds them all
        _with_deadline("network", _timeout(printer) * 2 + 0.5, lambda: _send_network(data, printer))
    else:
        _send_device(data, printer, name)


def print_document(document: Document, settings: Settings, *, name: str = "receipt") -> Rendered:
    """Render and send one document; raises PrinterError when the printer cannot take it."""
    rendered = render(document, settings)
    send(rendered.data, settings.printer, name=name)
    return rendered
