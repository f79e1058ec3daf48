"""The receipt preview: the layout engine's operations as HTML, line for line what the printer
prints (monospace, 32 or 48 columns; a Han character spans two), for the terminal and the back
office. QR codes are inline SVG of the same payload."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from flask import has_request_context, url_for
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from cards import qr
from core.config import Settings
from pos.printing.document import Document
from pos.printing.layout import Cut, Drawer, Feed, Layout, Qr, Text, layout_document

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


@dataclass(frozen=True)
class PreviewRow:
    """One row of the preview: a text line padded to the full width, a QR code, a cut, the
    drawer kick."""

    kind: Literal["text", "qr", "cut", "drawer"]
    text: str = ""
    bold: bool = False
    double: bool = False
    svg: Markup | None = None
    data: str = ""


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
