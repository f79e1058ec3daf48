"""ESC/POS bytes: our own GB18030/GBK encoding, rare characters (replaced visibly, or drawn as
an image tall enough for the glyph), QR, barcode, drawer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from core.config import Settings
from pos.printing.adapter import CHINESE_MODE, font_for, render, render_layout
from pos.printing.document import Slip
from pos.printing.layout import Barcode, Layout, Text
from pos.printing.raster import line_image

from .conftest import BALANCE_URL, SALE_NO, sample_receipt
from .escpos_parse import parse

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("CHARITY_UPDATE_GOLDEN"))
needs_font = pytest.mark.skipif(font_for(Settings().printer) is None, reason="no CJK font")


def settings_for(**printer: object) -> Settings:
    return Settings().with_overrides(printer=printer)


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} changed (CHARITY_UPDATE_GOLDEN=1 to accept)"


def test_golden_58mm_gb18030() -> None:
    """GB18030 encodes 䶮 itself; 𠀀 (outside the BMP, no printer font has it) is replaced
    visibly with □ and reported."""
    receipt = sample_receipt(cashier="𠀀小明")
    rendered = render(
        receipt, settings_for(paper_width_mm=58, encoding="gb18030", fallback="replace")
    )
    check_golden("receipt_58_gb18030.bin", rendered.data)
    parsed = parse(rendered.data).check(58)
    text = parsed.text
    assert "持卡人：张*䶮" in text
    assert "收银员：□小明" in text and "𠀀" not in text
    assert rendered.warnings and "U+20000" in rendered.warnings[0]
    assert "挂面（特价￥2）" in text and "￥62.70" in text
    assert "￥".encode("gb18030") == b"\xa3\xa4" and b"\xa3\xa4" in rendered.data
    raw = b"".join(line.raw for line in parsed.text_lines())
    assert b"?" not in raw  # nothing silently dropped to ?
    assert b"\xc2\xa5" not in rendered.data and "¥" not in text


@needs_font
def test_golden_80mm_gbk_prints_a_rare_name_as_an_image() -> None:
    rendered = render(sample_receipt(), settings_for(paper_width_mm=80, encoding="gbk"))
    check_golden("receipt_80_gbk.bin", rendered.data)
    parsed = parse(rendered.data, "gbk").check(80)
    text = parsed.text
    assert "持卡人" not in text  # that line went out as a picture
    assert rendered.image_lines == 1 and not rendered.warnings
    (image,) = parsed.images
    assert image.width == 48 * 12 and image.height >= 30
    assert "挂面（特价￥2）" in text and b"?" not in b"".join(x.raw for x in parsed.text_lines())


def ink_rows(image: Image.Image) -> list[int]:
    """The rows of an image (black = ink) that carry ink."""
    rows = (image.convert("L").crop((0, y, image.width, y + 1)) for y in range(image.height))
    return [y for y, row in enumerate(rows) if row.getextrema()[0] < 128]


@needs_font
@pytest.mark.parametrize(
    "op",
    [
        Text("持卡人：吉*𠮷"),
        Text("𠮷野家 gjpqy（）", bold=True),
        Text("𠮷", align="center", double=True),
    ],
)
def test_a_rare_character_line_image_holds_the_whole_glyph(op: Text) -> None:
    """𠮷 (U+20BB7) is outside the BMP: no GB18030 printer font has it, so its line prints as an
    image. The glyphs reach 31 px below the ascender line at 24 px (descenders 34): the image
    keeps blank rows above and below the ink, so nothing is cut."""
    font = font_for(Settings().printer)
    assert font is not None
    assert font.face.getbbox("𠮷")[3] > 26  # what a 26 px image used to cut
    image = line_image(op, 32, font)
    rows = ink_rows(image)
    assert rows, "the line was drawn"
    assert rows[0] > 0 and rows[-1] < image.height - 1  # no ink on the top or bottom row
    assert image.width == (32 * 12 if not op.double else 16 * 12 * 2)
    # and through the printer: the same picture, read back by the checker
    data = render_layout(Layout(32, (op,)), settings_for(paper_width_mm=58).printer)
    (printed,) = parse(data.data).check(58).images
    assert printed.size == image.size
    sent = ink_rows(printed)  # thresholded by python-escpos: grey edges may fall either way
    assert sent[0] > 0 and sent[-1] < printed.height - 1
    assert abs(sent[0] - rows[0]) <= 2 and abs(sent[-1] - rows[-1]) <= 2


def test_gbk_without_a_font_replaces_visibly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pos.printing.adapter.font_for", lambda printer: None)
    rendered = render(sample_receipt(), settings_for(encoding="gbk"))
    text = parse(rendered.data, "gbk").check(80).text
    assert "持卡人：张*□" in text
    assert "䶮" in rendered.warnings[0] and "U+4DAE" in rendered.warnings[0]


def test_gbk_sends_no_four_byte_code_and_no_one_byte_euro(monkeypatch: pytest.MonkeyPatch) -> None:
    """ä is a four-byte GB18030 code GBK printers lack, € GBK's one-byte 0x80 no printer has:
    both are replaced visibly (or drawn) under GBK; GB18030 sends ä and a two-byte €."""
    monkeypatch.setattr("pos.printing.adapter.font_for", lambda printer: None)
    receipt = sample_receipt(holder_masked="Jäger Lü €")
    gbk = render(receipt, settings_for(encoding="gbk"))
    assert "ü".encode("gbk") == b"\xa8\xb9"  # ü is in GBK (pinyin), ä is not
    assert "持卡人：J□ger Lü □" in parse(gbk.data, "gbk").check(80).text
    gb18030 = render(sample_receipt(holder_masked="Jäger €"), settings_for())
    assert "持卡人：Jäger €" in parse(gb18030.data).check(80).text


def test_chinese_mode_native_qr_cut_and_drawer() -> None:
    rendered = render(sample_receipt(), settings_for(drawer_pin=5))
    parsed = parse(rendered.data).check(80)
    assert rendered.data.startswith(b"\x1b@" + CHINESE_MODE)
    assert parsed.qr == [BALANCE_URL.encode()]
    assert [code.text for code in parsed.barcodes] == [SALE_NO]
    cut_at = rendered.data.rindex(b"\x1dV")
    kick_at = rendered.data.rindex(b"\x1bp\x01")  # ESC p 1: pin 5
    assert kick_at > cut_at
    off = render(sample_receipt(), settings_for(drawer_kick=False, chinese_mode="off"))
    assert b"\x1bp" not in off.data and CHINESE_MODE not in off.data


def test_reprint_never_opens_the_drawer() -> None:
    rendered = render(sample_receipt(reprint=1), Settings())
    assert b"\x1bp" not in rendered.data
    assert "重打（副本）第 1 次" in "\n".join(parse(rendered.data).lines())
    assert not any(item == "[DRAWER]" for item in parse(rendered.data).lines())


def test_qr_as_image_decodes_to_the_balance_url() -> None:
    rendered = render(sample_receipt(), settings_for(qr="image", paper_width_mm=58))
    parsed = parse(rendered.data).check(58)
    assert parsed.qr == []
    (image,) = [im for im in parsed.images if im.height > 100]
    assert image.width == 384
    decoded = zxingcpp.read_barcodes(image)
    assert [d.text for d in decoded] == [BALANCE_URL]


def test_text_is_never_left_to_python_escpos_encoder() -> None:
    """Lines of only Chinese punctuation or ￥ come out as GB18030, not '?'."""
    slip = Slip(title="测试", rows=(("“：”、。", "￥￥"),), store_name="店")
    data = render(slip, Settings()).data
    assert "“：”、。".encode("gb18030") in data and "￥￥".encode("gb18030") in data


def test_unknown_profile_is_a_clear_error() -> None:
    from pos.printing.adapter import PrinterError

    with pytest.raises(PrinterError, match=r"printer\.profile"):
        render(sample_receipt(), settings_for(profile="NoSuchPrinter"))


@pytest.mark.parametrize(
    ("paper", "number", "module"),
    [(58, SALE_NO, 2), (80, SALE_NO, 3), (58, "X" * 24, 1), (58, "X" * 34, None)],
)
def test_barcode_bars_are_as_wide_as_the_paper_allows(
    paper: int, number: str, module: int | None
) -> None:
    data = render_layout(Layout(32, (Barcode(number),)), settings_for(paper_width_mm=paper).printer)
    codes = parse(data.data).check(paper).barcodes
    if module is None:  # too long for any bars: left out, and said
        assert codes == [] and "过长" in data.warnings[0]
        return
    (code,) = codes
    assert code.text == number and code.module == module
    assert bool(data.warnings) == (module == 1)  # the thinnest bars may not scan: said


@needs_font
def test_wide_latin_letters_stay_in_their_cells_on_an_image_line() -> None:
    """The font's W is 21 px wide, a printer cell 12: squeezed in, it never inks the next cell."""
    font = font_for(Settings().printer)
    assert font is not None and font.face.getlength("W") > 12
    image = line_image(Text("WWmm 𠮷"), 32, font)
    space = image.crop((4 * 12, 0, 5 * 12, image.height))
    assert space.getextrema()[0] > 200  # the space after the letters is blank
    letters = image.crop((0, 0, 4 * 12, image.height))
    assert letters.getextrema()[0] < 128
