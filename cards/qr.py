"""QR codes of the balance page's URL, as PNG (receipts printed as images, downloads) and as
inline SVG (the card sheet, pages): error correction Q, so a scratched or worn card still scans,
and the 4-module quiet zone the standard asks for, so a phone finds it from arm's length."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants

# Q recovers about 25% of the modules: cards live in pockets and wallets for years.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
QUIET_ZONE = 4  # modules; the ISO/IEC 18004 minimum
PNG_BOX_SIZE = 10  # pixels per module: a 37-module code is 450 px wide with its quiet zone


def qr_matrix(url: str) -> list[list[bool]]:
    """The code's modules, quiet zone included, row by row (True = dark)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE, box_size=1)
    code.add_data(url.encode("utf-8"))
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_png(url: str, *, box_size: int = PNG_BOX_SIZE) -> bytes:
    """A black-on-white PNG of `url`, `box_size` pixels per module, 1 bit per pixel."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE, box_size=box_size)
    code.add_data(url.encode("utf-8"))
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def qr_svg(url: str, *, size: str = "30mm", title: str = "") -> str:
    """An inline `<svg>` of `url`: one path of unit squares in a viewBox of modules, white
    background (quiet zone included), `crispEdges` so no anti-aliasing blurs the modules.
    `size` is the printed width and height (CSS length); the card sheet may pass "25mm"."""
    matrix = qr_matrix(url)
    n = len(matrix)
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x = 0
        while x < n:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < n and row[x]:
                x += 1
            # a horizontal run of dark modules as one rectangle
            parts.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    label = f"<title>{_escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {n} {n}" width="{size}" '
        f'height="{size}" shape-rendering="crispEdges" role="img" class="qr">{label}'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(parts)}"/></svg>'
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
