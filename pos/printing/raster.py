"""Pictures for the printer: a text line the printer's own fonts cannot print drawn with a CJK
font (𠮷, 䶮 under GBK, emoji), in the same column cells the printer's fonts use, and a QR code
for printers without GS ( k. The line's image is as tall as the ink of the characters it holds
(measured from the font's glyph boxes), so nothing is cut at the top or the bottom."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from core.config import PrinterSettings
from pos.printing.layout import Text
from pos.printing.text import char_width, width_of

log = logging.getLogger(__name__)

CELL = 12  # dots per column: a Hanzi is 24 x 24, an ASCII character 12 x 24
FONT_SIZE = 24  # pixels: the printer's Hanzi font
LINE_DOTS = 30  # the printer's default line pitch: a picture line is never shorter
MARGIN = 2  # blank rows kept above and below the ink
REFERENCE = "国"  # every line is at least as tall as a Han character, on the same baseline

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


@dataclass(frozen=True)
class Font:
    """A CJK font face at the printer's size, and the look of a glyph it does not have."""

    face: Any  # ImageFont.FreeTypeFont
    missing_signature: tuple[Any, ...]

    def has(self, char: str) -> bool:
        return _signature(self.face, char) != self.missing_signature


def _signature(face: Any, char: str) -> tuple[Any, ...]:
    mask = face.getmask(char)
    return (mask.size, bytes(Image.Image()._new(mask).tobytes()))


@lru_cache(maxsize=4)
def load_font(path: str) -> Font | None:
    """The configured font (`printer.font_path`), else the first CJK font installed."""
    candidates = [path] if path else [p for p in FONT_CANDIDATES if Path(p).is_file()]
    for candidate in candidates:
        try:
            # in the Noto CJK collections face 2 is Simplified Chinese
            index = 2 if "NotoS" in candidate and candidate.endswith(".ttc") else 0
            face = ImageFont.truetype(candidate, FONT_SIZE, index=index)
        except OSError:
            log.warning("printer font %s cannot be loaded", candidate)
            continue
        return Font(face, _signature(face, "\U0010fffd"))
    return None


def font_for(printer: PrinterSettings) -> Font | None:
    return load_font(printer.font_path)


def ink_rows(text: str, font: Font, *, bold: bool = False) -> tuple[int, int]:
    """The rows (top, bottom, exclusive) the glyphs of `text` and of a Han character cover when
    drawn at row 0 (the font's ascender line)."""
    stroke = 1 if bold else 0
    boxes = [font.face.getbbox(c, stroke_width=stroke) for c in {*text, REFERENCE} if c != " "]
    return min(box[1] for box in boxes), max(box[3] for box in boxes)


def line_image(op: Text, width: int, font: Font) -> Image.Image:
    """A text line drawn as the printer would draw it: each character in its column cells, the
    image tall enough for the ink of every glyph with a blank margin above and below."""
    line = op.padded(width)
    top, bottom = ink_rows(line, font, bold=op.bold)
    height = max(LINE_DOTS, bottom - top + 2 * MARGIN)
    offset = (height - (bottom - top)) // 2 - top  # the ink centred, same baseline for all
    image = Image.new("L", (width_of(line) * CELL, height), 255)
    draw = ImageDraw.Draw(image)
    stroke = 1 if op.bold else 0
    x = 0
    for char in line:
        span = char_width(char) * CELL
        drawn = font.face.getlength(char) + 2 * stroke
        if char == " ":
            pass
        elif drawn <= span:
            draw.text((x, offset), char, font=font.face, fill=0, stroke_width=stroke)
        else:  # a proportional Latin letter wider than its cell (W, m): squeezed into it
            tile = Image.new("L", (int(drawn) + 1, height), 255)
            ImageDraw.Draw(tile).text(
                (0, offset), char, font=font.face, fill=0, stroke_width=stroke
            )
            image.paste(tile.resize((span, height)), (x, 0))
        x += span
    if op.double:
        image = image.resize((image.width * 2, image.height * 2))
    return image


def qr_image(data: str, paper_dots: int, box: int = 6) -> Image.Image:
    """A QR code image centred on the paper's width (for printers without GS ( k)."""
    import qrcode

    code = qrcode.QRCode(box_size=box, border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data)
    code.make(fit=True)
    symbol = code.make_image().get_image().convert("L")
    canvas = Image.new("L", (paper_dots, symbol.height), 255)
    canvas.paste(symbol, ((paper_dots - symbol.width) // 2, 0))
    return canvas
