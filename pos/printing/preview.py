"""The receipt preview: the layout engine's operations as HTML, line for line what the printer
prints (monospace, 32 or 48 columns), for the terminal and the back office. A CJK monospace
font draws Han characters and full-width forms two columns wide, as the printer does; every
other non-ASCII character (ä, ©, £, ｱ, ·, which browsers draw narrow) is put in a box two
columns wide. QR codes and the sale number's barcode are inline SVG of the same
payloads."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from barcode import Code128
from barcode.writer import SVGWriter
from flask import has_request_context, url_for
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from cards import qr
from core.config import Settings
from core.svg import without_inline_styles
from pos.printing.document import Document
from pos.printing.layout import Barcode, Cut, Drawer, Feed, Layout, Qr, Text, layout_document

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@lru_cache(maxsize=64)
def qr_svg(data: str) -> str:
    """An SVG QR code of `data` (markup, for inline use): the same codes the card sheet prints."""
    return qr.qr_svg(data, size="34mm")


@lru_cache(maxsize=64)
def barcode_svg(data: str) -> str:
    """An SVG CODE128 barcode of `data` with its text below (markup, for inline use)."""
    writer = SVGWriter()
    writer.with_doctype = False
    drawn: bytes = Code128(data, writer=writer).render({"module_height": 8.0, "font_size": 7})
    svg = drawn.decode("utf-8")
    return without_inline_styles(svg[svg.index("<svg") :])  # the pages' CSP forbids styles


def _narrow_in_browsers(char: str) -> bool:
    return ord(char) >= 0x80 and unicodedata.east_asian_width(char) not in ("W", "F")


def cells_html(text: str) -> Markup:
    """A line of text as markup in which each non-ASCII character takes two columns."""
    return Markup("").join(
        Markup('<span class="w">%s</span>') % c if _narrow_in_browsers(c) else escape(c)
        for c in text
    )


@dataclass(frozen=True)
class PreviewRow:
    """One row of the preview: a text line padded to the full width, a QR code, a barcode, a
    cut, the drawer kick."""

    kind: Literal["text", "qr", "barcode", "cut", "drawer"]
    text: str = ""
    bold: bool = False
    double: bool = False
    svg: Markup | None = None
    data: str = ""

    @property
    def cells(self) -> Markup:
        return cells_html(self.text)


def preview_rows(layout: Layout) -> list[PreviewRow]:
    """The operations as rows a template can draw: text lines padded to the full width."""
    rows: list[PreviewRow] = []
    for op in layout.ops:
        if isinstance(op, Text):
            rows.append(
                PreviewRow("text", text=op.padded(layout.width), bold=op.bold, double=op.double)
            )
        elif isinstance(op, Qr):
            rows.append(PreviewRow("qr", svg=Markup(qr_svg(op.data)), data=op.data))  # noqa: S704
        elif isinstance(op, Barcode):
            svg = Markup(barcode_svg(op.data))  # noqa: S704 - python-barcode escapes the text
            rows.append(PreviewRow("barcode", svg=svg, data=op.data))
        elif isinstance(op, Feed):
            rows.extend(PreviewRow("text") for _ in range(op.lines))
        elif isinstance(op, Cut):
            rows.append(PreviewRow("cut"))
        elif isinstance(op, Drawer):
            rows.append(PreviewRow("drawer"))
    return rows


def layout_html(layout: Layout) -> Markup:
    """HTML of a layout: a self-contained fragment that links its own stylesheet (a static file
    of the printing package: the CSP allows no inline style)."""
    template = _environment().get_template("printing/preview.html")
    stylesheet = url_for("printing.static", filename="preview.css") if has_request_context() else ""
    html = template.render(width=layout.width, rows=preview_rows(layout), stylesheet=stylesheet)
    return Markup(html)  # noqa: S704 - autoescaped template


def receipt_html(document: Document, settings: Settings) -> Markup:
    """HTML preview of any document with this deployment's paper width and time zone."""
    layout = layout_document(document, width=settings.printer.columns, tz=settings.tz)
    return layout_html(layout)
