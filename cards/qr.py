"""QR codes of the balance page's URL, as PNG (receipts printed as images, downloads) and as
inline SVG (the card sheet, pages): error correction Q, so a scratched or worn card still scans,
and the 4-module quiet zone the standard asks for, so a phone finds it from arm's length."""

from __future__ import annotations

import io
import ipaddress
from urllib.parse import urlsplit

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


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url_is_loopback(base_url: str) -> bool:
    """Whether the balance page's `base_url` names this machine only (127.0.0.1, localhost,
    ::1): a phone scanning a card cannot reach it."""
    return _is_loopback(urlsplit(base_url.strip()).hostname or "")


def loopback_warning(base_url: str) -> str | None:
    """The warning the card sheet and `charity serve` give when the cards' QR codes would point
    at this machine only; None when `base_url` is reachable from elsewhere."""
    if not base_url_is_loopback(base_url):
        return None
    return (
        f"注意：查余额地址 balance_page.base_url 是本机地址（{base_url}），卡片上的二维码用手机"
        "扫描后打不开。请在 config.toml 的 [balance_page] 中把 base_url 改为手机能访问的地址"
        "（如 http://门店电脑的局域网IP:5000 或正式域名）后再打印卡片。"
    )


def serving_elsewhere(host: str) -> bool:
    """Whether `charity serve --host HOST` listens beyond this machine (0.0.0.0, a LAN address)."""
    return not _is_loopback(host)


def serve_warning(host: str, base_url: str) -> str | None:
    """What `charity serve --host HOST` warns: the store is served to other machines while the
    cards' QR codes point at this one."""
    return loopback_warning(base_url) if serving_elsewhere(host) else None
