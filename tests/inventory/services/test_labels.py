"""Shelf-label barcodes: the SVG the label page shows, drawn as an image, reads back as the code."""

import re
from xml.dom import minidom

import pytest

from inventory.services.labels import barcode_svg

PX_PER_MM = 12
_MM = re.compile(r"^([0-9.]+)mm$")


def mm(value: str) -> float:
    match = _MM.match(value)
    assert match, value
    return float(match.group(1))


def rasterise(svg: str) -> object:
    """The SVG's bars (its black rects) painted on white, at PX_PER_MM, as a Pillow image."""
    from PIL import Image, ImageDraw

    root = minidom.parseString(svg).documentElement
    assert root.tagName == "svg" and root.getAttribute("class") == "barcode"
    width, height = mm(root.getAttribute("width")), mm(root.getAttribute("height"))
    image = Image.new("L", (round(width * PX_PER_MM), round(height * PX_PER_MM)), 255)
    draw = ImageDraw.Draw(image)
    bars = 0
    for rect in root.getElementsByTagName("rect"):
        assert not rect.getAttribute("style")  # presentation attributes only (the CSP)
        if rect.getAttribute("fill") != "black":
            continue  # the white background
        x, y = mm(rect.getAttribute("x")), mm(rect.getAttribute("y"))
        w, h = mm(rect.getAttribute("width")), mm(rect.getAttribute("height"))
        draw.rectangle(
            [
                round(x * PX_PER_MM),
                round(y * PX_PER_MM),
                round((x + w) * PX_PER_MM) - 1,
                round((y + h) * PX_PER_MM) - 1,
            ],
            fill=0,
        )
        bars += 1
    assert bars > 10
    return image


@pytest.mark.parametrize(
    ("code", "symbology"),
    [
        ("6985430337657", "EAN13"),
        ("96385074", "EAN8"),
        ("036000291452", "UPCA"),
        ("2900000000018", "EAN13"),
        ("ABC-123", "Code128"),
        ("6985430337658", "Code128"),  # not an EAN (wrong check digit): drawn as text
    ],
)
def test_label_barcodes_decode(code: str, symbology: str) -> None:
    """The SVG's bars, drawn as an image, read back as the same number, in the right symbology."""
    zxingcpp = pytest.importorskip("zxingcpp")
    svg = str(barcode_svg(code))
    assert f'aria-label="条码 {code}"' in svg and f">{code}</text>" in svg
    results = zxingcpp.read_barcodes(rasterise(svg))
    assert results, code
    assert results[0].text.lstrip("0") == code.lstrip("0") or results[0].text == code
    assert results[0].format.name.replace("_", "").upper() in {
        symbology.upper(),
        "EAN13" if symbology == "UPCA" else symbology.upper(),
    }


def test_label_barcode_text_is_escaped() -> None:
    svg = str(barcode_svg('<b>"x"&'))
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    minidom.parseString(svg)  # still well-formed XML
