"""Inline SVG from third-party writers (python-barcode), made fit for pages whose
Content-Security-Policy forbids inline styles: each `style="fill:#000;font-size:7pt"` attribute
becomes the equivalent presentation attributes (`fill="#000" font-size="7pt"`), which are not
styles and which every browser and printer driver draws the same."""

from __future__ import annotations

import re
from html import escape

_STYLE = re.compile(r'\sstyle="([^"]*)"')
# CSS properties that are also SVG presentation attributes (what the writers emit).
PRESENTATION = frozenset(
    {
        "fill",
        "fill-opacity",
        "stroke",
        "stroke-width",
        "opacity",
        "font-size",
        "font-family",
        "font-weight",
        "text-anchor",
        "dominant-baseline",
        "shape-rendering",
    }
)


def _attributes(match: re.Match[str]) -> str:
    out = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name in PRESENTATION and value:
            out.append(f' {name}="{escape(value, quote=True)}"')
    return "".join(out)


def without_inline_styles(svg: str) -> str:
    """`svg` with every `style` attribute turned into presentation attributes (unknown
    properties are dropped: nothing in an SVG is worth an inline style)."""
    return _STYLE.sub(_attributes, svg)
