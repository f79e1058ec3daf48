"""An independent ESC/POS interpreter for the tests: reads receipt bytes the way a Chinese
thermal printer does, knowing nothing of the code that wrote them.

It decodes the commands (initialise, Hanzi mode FS & / FS ., alignment, bold, character size
GS ! and ESC !, feeds, cut, drawer, raster images GS v 0, QR codes GS ( k, barcodes GS k, status
queries) and the text between them: in Hanzi mode a byte below 0x80 is one half-width cell, a
GB18030 two-byte (0x81-0xFE, 0x40-0xFE) or four-byte (0x81-0xFE, 0x30-0x39, 0x81-0xFE, 0x30-0x39)
sequence one full-width character of two cells; a GBK printer has no four-byte codes. Every
printed line is counted in cells times the character width and must fit the paper (32 cells of
12 dots on 58 mm, 48 on 80 mm), as must images and barcodes; a CODE128 barcode's data is decoded
from its code sets (set C bytes are numbers 0-99) into the text it scans as.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image, ImageOps

DOTS = {58: 384, 80: 576}  # printable dots per line at 203 dpi
CELL = 12  # dots per half-width cell
ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}

# commands of a fixed length: prefix -> total length in bytes
FIXED = {
    b"\x1b@": 2,  # ESC @ initialise
    b"\x1c&": 2,  # FS & Hanzi mode on
    b"\x1c.": 2,  # FS . Hanzi mode off
    b"\x1ba": 3,  # ESC a n alignment
    b"\x1bE": 3,  # ESC E n bold
    b"\x1b!": 3,  # ESC ! n print mode
    b"\x1bd": 3,  # ESC d n feed n lines
    b"\x1bJ": 3,  # ESC J n feed n dots
    b"\x1bM": 3,  # ESC M n font
    b"\x1b-": 3,  # ESC - n underline
    b"\x1bt": 3,  # ESC t n code table
    b"\x1b2": 2,  # ESC 2 default line spacing
    b"\x1b3": 3,  # ESC 3 n line spacing
    b"\x1c!": 3,  # FS ! n Hanzi print mode
    b"\x1d!": 3,  # GS ! n character size
    b"\x1dB": 3,  # GS B n reverse
    b"\x1dh": 3,  # GS h n barcode height
    b"\x1dw": 3,  # GS w n barcode module width
    b"\x1dH": 3,  # GS H n barcode text position
    b"\x1df": 3,  # GS f n barcode text font
    b"\x10\x04": 3,  # DLE EOT n status query
    b"\x1bp": 5,  # ESC p m t1 t2 drawer kick
}


class PrinterProtocolError(AssertionError):
    """The bytes are not what a printer would print cleanly."""


@dataclass
class Line:
    """One printed text line: its characters, the cells they take and the style they had."""

    text: str
    cells: int  # half-width cells, times the character width
    align: str = "left"
    bold: bool = False
    width: int = 1  # character width multiplier
    height: int = 1
    raw: bytes = b""


@dataclass
class QrCode:
    data: bytes
    module: int = 3
    ec: int = 48

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


@dataclass
class Barcode:
    """A barcode as GS k prints it: the data bytes, the text it scans as, its symbol values."""

    system: int
    data: bytes
    text: str
    module: int
    height: int
    hri: int
    values: list[int] = field(default_factory=list)  # CODE128: start, data and switches

    @property
    def modules(self) -> int:
        """CODE128: 11 modules per symbol (with the check symbol), 13 for the stop."""
        return 11 * (len(self.values) + 1) + 13

    @property
    def dots(self) -> int:
        return self.modules * self.module


@dataclass
class Raster:
    image: Image.Image  # "L", black = ink

    @property
    def width(self) -> int:
        return self.image.width


@dataclass
class Cut:
    mode: int


@dataclass
class Drawer:
    pin: int


@dataclass
class Feed:
    lines: int


Item = Line | QrCode | Barcode | Raster | Cut | Drawer | Feed


@dataclass
class Printout:
    """What came out of the printer, in order."""

    encoding: str
    items: list[Item] = field(default_factory=list)
    commands: list[bytes] = field(default_factory=list)
    status_queries: int = 0

    def text_lines(self) -> list[Line]:
        return [item for item in self.items if isinstance(item, Line)]

    def lines(self, encoding: str | None = None) -> list[str]:
        """Text lines as printed; pictures, codes, cut and drawer as markers."""
        out: list[str] = []
        for item in self.items:
            if isinstance(item, Line):
                out.append(item.text)
            elif isinstance(item, QrCode):
                out.append(f"[QR {item.text}]")
            elif isinstance(item, Barcode):
                out.append(f"[BARCODE {item.text}]")
            elif isinstance(item, Raster):
                out.append(f"[IMAGE {item.image.width}x{item.image.height}]")
            elif isinstance(item, Cut):
                out.append("[CUT]")
            elif isinstance(item, Drawer):
                out.append("[DRAWER]")
            else:
                out.extend([""] * item.lines)
        return out

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.text_lines())

    @property
    def qr(self) -> list[bytes]:
        return [item.data for item in self.items if isinstance(item, QrCode)]

    @property
    def barcodes(self) -> list[Barcode]:
        return [item for item in self.items if isinstance(item, Barcode)]

    @property
    def images(self) -> list[Image.Image]:
        return [item.image for item in self.items if isinstance(item, Raster)]

    def check(self, paper_mm: int) -> Printout:
        """Raise unless every line, image and barcode fits the paper's width."""
        dots = DOTS[paper_mm]
        for item in self.items:
            if isinstance(item, Line) and item.cells * CELL > dots:
                raise PrinterProtocolError(
                    f"line of {item.cells} cells on {dots // CELL}-cell paper: {item.text!r}"
                )
            if isinstance(item, Raster) and item.width > dots:
                raise PrinterProtocolError(f"image {item.width} dots wide on {dots}-dot paper")
            if isinstance(item, Barcode) and item.dots > dots:
                raise PrinterProtocolError(f"barcode {item.dots} dots wide on {dots}-dot paper")
        return self


def _multibyte(data: bytes, i: int, encoding: str) -> int:
    """Length of the Hanzi-mode character at `data[i]` (a byte >= 0x80), checked."""
    lead = data[i]
    second = data[i + 1] if i + 1 < len(data) else -1
    if not 0x81 <= lead <= 0xFE:
        raise PrinterProtocolError(f"byte {lead:#04x} at {i} starts no GB18030 character")
    if 0x30 <= second <= 0x39:
        if encoding != "gb18030":
            raise PrinterProtocolError(f"four-byte GB18030 code at {i} sent to a GBK printer")
        third = data[i + 2] if i + 2 < len(data) else -1
        fourth = data[i + 3] if i + 3 < len(data) else -1
        if not (0x81 <= third <= 0xFE and 0x30 <= fourth <= 0x39):
            raise PrinterProtocolError(f"broken four-byte code at {i}: {data[i : i + 4]!r}")
        return 4
    if 0x40 <= second <= 0xFE and second != 0x7F:
        return 2
    raise PrinterProtocolError(f"broken two-byte code at {i}: {data[i : i + 2]!r}")


def decode_code128(data: bytes) -> tuple[str, list[int]]:
    """GS k 73 data -> (the text it scans as, the symbol values without check and stop)."""
    if data[:1] != b"{" or data[1:2] not in (b"A", b"B", b"C"):
        raise PrinterProtocolError(f"CODE128 data must start with {{A, {{B or {{C: {data!r}")
    switch = {"A": {"B": 100, "C": 99}, "B": {"A": 101, "C": 99}, "C": {"A": 101, "B": 100}}
    code = chr(data[1])
    values = [{"A": 103, "B": 104, "C": 105}[code]]
    text = ""
    i = 2
    while i < len(data):
        byte = data[i]
        if byte == ord("{"):  # a code-set switch, or {{ for a literal { in set B
            nxt = chr(data[i + 1]) if i + 1 < len(data) else ""
            if nxt and nxt in "ABC":
                if nxt == code:
                    raise PrinterProtocolError(f"CODE128 switch to the set in use at {i}")
                values.append(switch[code][nxt])
                code = nxt
            elif nxt == "{" and code == "B":
                values.append(ord("{") - 32)
                text += "{"
            else:
                raise PrinterProtocolError(f"CODE128 {{{nxt} not supported at {i}")
            i += 2
            continue
        if code == "C":
            if byte > 99:
                raise PrinterProtocolError(f"CODE128 set C byte {byte} > 99 at {i}")
            values.append(byte)
            text += f"{byte:02d}"
        elif code == "B":
            if not 32 <= byte < 128:
                raise PrinterProtocolError(f"CODE128 set B byte {byte:#04x} at {i}")
            values.append(byte - 32)
            text += chr(byte)
        else:
            if byte >= 96:
                raise PrinterProtocolError(f"CODE128 set A byte {byte:#04x} at {i}")
            values.append(byte + 64 if byte < 32 else byte - 32)
            text += chr(byte)
        i += 1
    return text, values


def parse(data: bytes, encoding: str = "gb18030", *, hanzi: bool = True) -> Printout:
    """Interpret `data` as a printer with `encoding` fonts would (`hanzi`: the mode it powers up
    in). Raises PrinterProtocolError on a command it does not know or text it cannot print."""
    out = Printout(encoding)
    state = {"align": "left", "bold": False, "width": 1, "height": 1, "hanzi": hanzi}
    barcode = {"height": 162, "module": 3, "hri": 0}
    qr = {"module": 3, "ec": 48, "data": b""}
    buffer = bytearray()

    def flush_line() -> None:
        raw = bytes(buffer)
        buffer.clear()
        if state["hanzi"]:
            text = raw.decode(encoding)
        else:
            text = raw.decode("cp437")
        cells = 0
        i = 0
        while i < len(raw):
            if raw[i] < 0x80 or not state["hanzi"]:
                cells += 1
                i += 1
            else:
                i += _multibyte(raw, i, encoding)
                cells += 2
        item = Line(
            text,
            cells * int(state["width"]),
            str(state["align"]),
            bool(state["bold"]),
            int(state["width"]),
            int(state["height"]),
            raw,
        )
        out.items.append(item)

    def picture_starts(what: str, at: int) -> None:
        if buffer:
            raise PrinterProtocolError(f"{what} at {at} in the middle of a text line")

    i = 0
    while i < len(data):
        byte = data[i]
        two = data[i : i + 2]
        if byte == 0x0A:
            flush_line()
            i += 1
        elif byte == 0x0D:
            i += 1
        elif byte >= 0x20 and byte != 0x7F:
            size = 1 if byte < 0x80 or not state["hanzi"] else _multibyte(data, i, encoding)
            buffer += data[i : i + size]
            i += size
        elif two in FIXED:
            command = data[i : i + FIXED[two]]
            out.commands.append(command)
            arg = command[2] if len(command) > 2 else 0
            if two == b"\x1b@":
                state.update(align="left", bold=False, width=1, height=1)
            elif two == b"\x1c&":
                state["hanzi"] = True
            elif two == b"\x1c.":
                state["hanzi"] = False
            elif two == b"\x1ba":
                state["align"] = ALIGN[arg]
            elif two == b"\x1bE":
                state["bold"] = bool(arg & 1)
            elif two == b"\x1b!":
                state.update(bold=bool(arg & 8), width=2 if arg & 32 else 1)
                state["height"] = 2 if arg & 16 else 1
            elif two == b"\x1d!":
                state.update(width=(arg >> 4 & 7) + 1, height=(arg & 7) + 1)
            elif two == b"\x1bd":
                out.items.append(Feed(arg))
            elif two == b"\x1dh":
                barcode["height"] = arg
            elif two == b"\x1dw":
                barcode["module"] = arg
            elif two == b"\x1dH":
                barcode["hri"] = arg
            elif two == b"\x10\x04":
                out.status_queries += 1
            elif two == b"\x1bp":
                out.items.append(Drawer(command[2]))
            i += FIXED[two]
        elif two == b"\x1dV":
            size = 4 if data[i + 2] in (65, 66) else 3
            out.commands.append(data[i : i + size])
            out.items.append(Cut(data[i + 2]))
            i += size
        elif data[i : i + 3] == b"\x1d(k":
            length = data[i + 3] + 256 * data[i + 4]
            body = data[i + 5 : i + 5 + length]
            out.commands.append(data[i : i + 5 + length])
            cn, fn = body[0], body[1]
            if cn != 49:
                raise PrinterProtocolError(f"GS ( k symbol {cn} is not QR")
            if fn == 67:
                qr["module"] = body[2]
            elif fn == 69:
                qr["ec"] = body[2]
            elif fn == 80:
                qr["data"] = body[3:]
            elif fn == 81:
                picture_starts("QR code", i)
                out.items.append(QrCode(bytes(qr["data"]), int(qr["module"]), int(qr["ec"])))
            i += 5 + length
        elif data[i : i + 3] == b"\x1dv0":
            width_bytes = data[i + 4] + 256 * data[i + 5]
            height = data[i + 6] + 256 * data[i + 7]
            raster = data[i + 8 : i + 8 + width_bytes * height]
            if len(raster) != width_bytes * height:
                raise PrinterProtocolError(f"raster image at {i} is cut short")
            picture_starts("image", i)
            bits = Image.frombytes("1", (width_bytes * 8, height), raster)
            out.items.append(Raster(ImageOps.invert(bits.convert("L"))))
            out.commands.append(data[i : i + 8])
            i += 8 + width_bytes * height
        elif two == b"\x1dk":
            system = data[i + 2]
            if system <= 6:
                end = data.index(b"\x00", i + 3)
                payload, size = data[i + 3 : end], end + 1 - i
                text, values = payload.decode("ascii"), []
            else:
                n = data[i + 3]
                payload, size = data[i + 4 : i + 4 + n], 4 + n
                if system != 73:
                    raise PrinterProtocolError(f"barcode system {system} not supported")
                text, values = decode_code128(payload)
            picture_starts("barcode", i)
            out.commands.append(data[i : i + size])
            out.items.append(
                Barcode(
                    system,
                    payload,
                    text,
                    barcode["module"],
                    barcode["height"],
                    barcode["hri"],
                    values,
                )
            )
            i += size
        else:
            raise PrinterProtocolError(f"unknown command at {i}: {data[i : i + 8]!r}")
    if buffer:
        flush_line()  # text left unterminated still prints on the next feed or cut
    return out
