"""QR codes of the balance page: they decode back to the page's URL (zxing-cpp), as PNG and as
SVG, keep the 4-module quiet zone, and stay small enough to scan from arm's length."""

from __future__ import annotations

import io
import re

import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cards.models import Card
from cards.qr import QUIET_ZONE, qr_matrix, qr_png, qr_svg
from cards.services.cards import new_qr_token

zxingcpp = pytest.importorskip("zxingcpp")

URL = "http://127.0.0.1:5000/b/3J6qZAI-S8MOVSyhjSWlqRVf"


def decode(image: Image.Image) -> list[str]:
    return [
        r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


def svg_to_image(svg: str, px_per_module: int = 8) -> Image.Image:
    """Rasterise our SVG (a white square and one path of `M x y h w v1 h-w z` runs)."""
    size = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))  # type: ignore[union-attr]
    image = Image.new("L", (size * px_per_module, size * px_per_module), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        x0, y0, width = int(x) * px_per_module, int(y) * px_per_module, int(w) * px_per_module
        draw.rectangle([x0, y0, x0 + width - 1, y0 + px_per_module - 1], fill=0)
    return image


def qr_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/b/{token}"


def test_png_decodes_back_to_the_url() -> None:
    image = Image.open(io.BytesIO(qr_png(URL)))
    assert image.format == "PNG"
    assert decode(image) == [URL]


def test_svg_decodes_back_to_the_url() -> None:
    svg = qr_svg(URL, size="25mm", title="余额查询")
    assert svg.startswith("<svg") and 'width="25mm"' in svg and "<title>余额查询</title>" in svg
    assert decode(svg_to_image(svg)) == [URL]


def test_svg_and_png_draw_the_same_modules() -> None:
    matrix = qr_matrix(URL)
    n = len(matrix)
    svg_image = svg_to_image(qr_svg(URL), px_per_module=1)
    assert [[svg_image.getpixel((x, y)) == 0 for x in range(n)] for y in range(n)] == matrix
    png = Image.open(io.BytesIO(qr_png(URL, box_size=1))).convert("L")
    assert png.size == (n, n)
    assert [[png.getpixel((x, y)) == 0 for x in range(n)] for y in range(n)] == matrix


def test_quiet_zone_and_size_suit_a_phone_at_arms_length() -> None:
    matrix = qr_matrix(URL)
    n = len(matrix)
    assert QUIET_ZONE == 4
    for i in range(QUIET_ZONE):
        assert not any(matrix[i]) and not any(matrix[n - 1 - i])
        assert not any(row[i] or row[n - 1 - i] for row in matrix)
    # at most version 5 (37 modules) for a deployment URL plus a token (up to 60 bytes at Q):
    # printed 25 mm wide with its quiet zone, a module is 0.56 mm, which a phone camera
    # resolves from 40 cm
    assert n - 2 * QUIET_ZONE <= 37
    assert len(qr_matrix("https://charity.example.gov.cn/b/" + "x" * 24)) - 8 <= 37
    assert Image.open(io.BytesIO(qr_png(URL))).size == (n * 10, n * 10)


def test_decodes_when_small_and_soft() -> None:
    """A phone photo from arm's length: 3 px per module, blurred a little."""
    from PIL import ImageFilter

    image = Image.open(io.BytesIO(qr_png(URL, box_size=3))).convert("L")
    assert decode(image.filter(ImageFilter.GaussianBlur(0.8))) == [URL]


def test_survives_a_scratch() -> None:
    """Error correction Q: a stripe across the data is repaired."""
    image = Image.open(io.BytesIO(qr_png(URL))).convert("L")
    draw = ImageDraw.Draw(image)
    w, h = image.size
    draw.rectangle([w // 2 - 15, 110, w // 2 + 15, h - 110], fill=255)
    assert decode(image) == [URL]


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["http://127.0.0.1:5000", "https://cs.huiji.gov.cn", "http://10.0.0.5:8080/"]),
    st.builds(lambda _: new_qr_token(), st.integers()),
)
def test_any_card_url_round_trips(base: str, token: str) -> None:
    url = qr_url(base, token)
    assert decode(Image.open(io.BytesIO(qr_png(url)))) == [url]


def test_a_cards_qr_opens_its_balance_page(
    client: FlaskClient, people_with_cards: list[Card], settings: object
) -> None:
    card = people_with_cards[0]
    url = qr_url("http://kiosk.test", card.qr_token)
    (decoded,) = decode(Image.open(io.BytesIO(qr_png(url))))
    path = decoded.removeprefix("http://kiosk.test")
    answer = client.get(path)
    assert answer.status_code == 200 and "张*云" in answer.get_data(as_text=True)
