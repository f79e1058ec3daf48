"""Barcodes drawn on shelf labels, as inline SVG made by python-barcode: EAN-13, EAN-8 and UPC-A
for product codes (the only codes a product may have), Code128 for any other text."""

from __future__ import annotations

from barcode import EAN8, EAN13, UPCA, Code128
from barcode.writer import SVGWriter
from markupsafe import Markup, escape
from stdnum import ean

from core.svg import without_inline_styles

_SYMBOLOGIES = {13: EAN13, 8: EAN8, 12: UPCA}

# Sizes in mm: 0.33 mm modules are EAN's nominal (100 %) size; quiet zones of 11 modules.
_OPTIONS: dict[str, object] = {
    "module_width": 0.33,
    "module_height": 7.0,
    "quiet_zone": 3.63,
    "font_size": 7,
    "text_distance": 2.5,
    "margin_top": 0.5,
    "margin_bottom": 0.5,
}


def barcode_svg(code: str) -> Markup:
    """An inline SVG of `code` with its digits below, at print size (width and height in mm):
    EAN-13, EAN-8 or UPC-A when `code` is one (its check digit right), else Code128."""
    symbology = _SYMBOLOGIES.get(len(code)) if code.isdigit() and ean.is_valid(code) else None
    writer = SVGWriter()
    writer.with_doctype = False
    drawn = (symbology or Code128)(code, writer=writer).render(dict(_OPTIONS))
    svg = without_inline_styles(drawn.decode("utf-8"))
    svg = svg[svg.index("<svg") :].replace(
        "<svg ", f'<svg class="barcode" role="img" aria-label="条码 {escape(code)}" ', 1
    )
    return Markup(svg)  # noqa: S704 - python-barcode's XML writer escapes the text it draws
