"""The printout drawn as paper, from what the interpreter (`escpos_parse`) read: text in the
printer's cells (12 x 24 dots half width, 24 x 24 full width, scaled by the character size),
images as sent, QR codes and CODE128 bars drawn from their payloads. For looking at a receipt
(test-artifacts/) and for scanning the drawn barcode with an independent decoder."""

from __future__ import annotations

from pathlib import Path

import qrcode
from barcode.charsets.code128 import CODES, STOP
from PIL import Image, ImageDraw, ImageFont

from .escpos_parse import CELL, DOTS, Barcode, Cut, Drawer, Feed, Line, Printout, QrCode, Raster

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
LINE = 34  # dots per drawn text line (24-dot font and its descenders)
QUIET = 10  # modules of quiet zone either side of a drawn barcode


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if Path(FONT).is_file():
        return ImageFont.truetype(FONT, size, index=2)
    return ImageFont.load_default()


def barcode_image(code: Barcode, *, quiet: int = QUIET) -> Image.Image:
    """The bars a printer draws for a CODE128 GS k: start, data, check symbol, stop, each module
    `code.module` dots wide and `code.height` dots high, on white with quiet zones."""
    check = (code.values[0] + sum(i * v for i, v in enumerate(code.values[1:], 1))) % 103
    bits = "".join(CODES[v] for v in [*code.values, check]) + STOP + "11"
    width = (len(bits) + 2 * quiet) * code.module
    image = Image.new("L", (width, code.height), 255)
    draw = ImageDraw.Draw(image)
    for index, bit in enumerate(bits):
        if bit == "1":
            x = (quiet + index) * code.module
            draw.rectangle((x, 0, x + code.module - 1, code.height - 1), fill=0)
    return image


def _qr_image(code: QrCode) -> Image.Image:
    symbol = qrcode.QRCode(box_size=code.module, border=0)
    symbol.add_data(code.data)
    symbol.make(fit=True)
    return symbol.make_image().get_image().convert("L")


def draw(printout: Printout, paper_mm: int) -> Image.Image:
    """The paper: one picture of the whole printout, `DOTS[paper_mm]` dots wide."""
    dots = DOTS[paper_mm]
    pieces: list[Image.Image] = []
    for item in printout.items:
        if isinstance(item, Line):
            pieces.append(_line(item, dots))
        elif isinstance(item, Raster):
            pieces.append(item.image)
        elif isinstance(item, QrCode):
            pieces.append(_qr_image(item))
        elif isinstance(item, Barcode):
            bars = barcode_image(item, quiet=0)
            if item.hri in (2, 3):
                text = _line(Line(item.text, len(item.text), "center"), bars.width)
                both = Image.new("L", (bars.width, bars.height + text.height), 255)
                both.paste(bars, (0, 0))
                both.paste(text, (0, bars.height))
                bars = both
            pieces.append(bars)
        elif isinstance(item, Feed):
            pieces.append(Image.new("L", (dots, LINE * item.lines), 255))
        elif isinstance(item, Cut):
            cut = Image.new("L", (dots, 12), 255)
            ImageDraw.Draw(cut).line((0, 6, dots, 6), fill=128, width=1)
            pieces.append(cut)
        elif isinstance(item, Drawer):
            continue
    height = sum(p.height for p in pieces) + 24
    paper = Image.new("L", (dots + 24, height), 255)
    y = 12
    for piece in pieces:
        x = 12 + max(0, (dots - piece.width) // 2)
        if isinstance(piece, Image.Image) and piece.width >= dots:
            x = 12
        paper.paste(piece, (x, y))
        y += piece.height
    return paper


def _line(line: Line, dots: int) -> Image.Image:
    """A text line: each character in its cells, aligned on the paper as the printer aligns."""
    w, h = line.width, line.height
    font = _font(24 * h)
    image = Image.new("L", (dots, LINE * h), 255)
    cells = line.cells
    if line.align == "center":
        x = (dots - cells * CELL) // 2
    elif line.align == "right":
        x = dots - cells * CELL
    else:
        x = 0
    for char in line.text:
        span = (1 if ord(char) < 0x80 else 2) * w * CELL
        # drawn at the font's size, then squeezed into its cells (the printer's own fonts are
        # exactly 12 or 24 dots wide; this font's Latin letters are proportional)
        drawn = int(font.getlength(char)) + 2 if hasattr(font, "getlength") else span
        glyph = Image.new("L", (max(span // w, drawn), LINE * h), 255)
        ImageDraw.Draw(glyph).text(
            (0, 0), char, font=font, fill=0, stroke_width=1 if line.bold else 0
        )
        glyph = glyph.resize((span, LINE * h))
        image.paste(glyph, (x, 0), None)
        x += span
    return image
