"""Barcodes drawn as SVG for shelf labels: EAN-13, EAN-8 and UPC-A (an EAN-13 with a leading 0)."""

from __future__ import annotations

from markupsafe import Markup

_L = ("0001101", "0011001", "0010011", "0111101", "0100011",
      "0110001", "0101111", "0111011", "0110111", "0001011")  # fmt: skip
_R = tuple("".join("1" if b == "0" else "0" for b in code) for code in _L)
_G = tuple(code[::-1] for code in _R)
_PARITY = ("LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG",
           "LGGLLG", "LGGGLL", "LGLGLG", "LGLGGL", "LGGLGL")  # fmt: skip


def modules(code: str) -> str:
    """The bar pattern, one character per module ('1' = bar), without quiet zones."""
    if not code.isdigit() or len(code) not in (8, 12, 13):
        raise ValueError(f"not an EAN-13, EAN-8 or UPC-A: {code!r}")
    if len(code) == 12:
        code = "0" + code
    if len(code) == 8:
        left = "".join(_L[int(d)] for d in code[:4])
        right = "".join(_R[int(d)] for d in code[4:])
        return "101" + left + "01010" + right + "101"
    parity = _PARITY[int(code[0])]
    left = "".join((_L if p == "L" else _G)[int(d)] for p, d in zip(parity, code[1:7], strict=True))
    right = "".join(_R[int(d)] for d in code[7:])
    return "101" + left + "01010" + right + "101"


def barcode_svg(code: str, *, height: int = 40, width_mm: float = 37.3) -> Markup:
    """An inline SVG of the barcode with its digits below, scalable (viewBox in modules)."""
    bars = modules(code)
    quiet = 9
    total = len(bars) + 2 * quiet
    rects = []
    x = 0
    while x < len(bars):
        if bars[x] == "1":
            start = x
            while x < len(bars) and bars[x] == "1":
                x += 1
            rects.append(f'<rect x="{start + quiet}" y="0" width="{x - start}" height="{height}"/>')
        else:
            x += 1
    text_y = height + 9
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="barcode" role="img" '
        f'aria-label="条码 {code}" viewBox="0 0 {total} {height + 11}" '
        f'style="width:{width_mm}mm" shape-rendering="crispEdges">'
        f'<rect width="{total}" height="{height + 11}" fill="#fff"/>'
        f'<g fill="#000">{"".join(rects)}</g>'
        f'<text x="{total / 2}" y="{text_y}" font-size="9" text-anchor="middle" '
        f'font-family="monospace" letter-spacing="1">{code}</text></svg>'
    )
    return Markup(svg)  # noqa: S704 - built only from digits we checked above
