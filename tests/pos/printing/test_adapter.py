"""ESC/POS bytes: golden output, our own GB18030/GBK encoding, rare characters, QR, drawer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import zxingcpp
from PIL import ImageOps

from core.config import Settings
from pos.printing.adapter import CHINESE_MODE, font_for, render
from pos.printing.document import Slip

from .conftest import BALANCE_URL, sample_receipt
from .escpos_parse import parse

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("CHARITY_UPDATE_GOLDEN"))


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
    parsed = parse(rendered.data)
    text = "\n".join(parsed.lines("gb18030"))
    assert "持卡人：张*䶮" in text
    assert "收银员：□小明" in text and "𠀀" not in text
    assert rendered.warnings and "U+20000" in rendered.warnings[0]
    assert "挂面（特价￥2）" in text and "￥62.70" in text
    assert "￥".encode("gb18030") == b"\xa3\xa4" and b"\xa3\xa4" in rendered.data
    assert b"?" not in parsed.text  # nothing silently dropped to ?
    assert b"\xc2\xa5" not in rendered.data and "¥" not in text


@pytest.mark.skipif(font_for(Settings().printer) is None, reason="no CJK font installed")
def test_golden_80mm_gbk_prints_a_rare_name_as_an_image() -> None:
    rendered = render(sample_receipt(), settings_for(paper_width_mm=80, encoding="gbk"))
    check_golden("receipt_80_gbk.bin", rendered.data)
    parsed = parse(rendered.data)
    text = "\n".join(parsed.lines("gbk"))
    assert "持卡人" not in text  # that line went out as a picture
    assert rendered.image_lines == 1 and not rendered.warnings
    assert len(parsed.images) == 1 and parsed.images[0].size == (48 * 12, 26)
    assert "挂面（特价￥2）" in text and b"?" not in parsed.text


def test_gbk_without_a_font_replaces_visibly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pos.printing.adapter.font_for", lambda printer: None)
    rendered = render(sample_receipt(), settings_for(encoding="gbk"))
    text = "\n".join(parse(rendered.data).lines("gbk"))
    assert "持卡人：张*□" in text
    assert "䶮" in rendered.warnings[0] and "U+4DAE" in rendered.warnings[0]


def test_chinese_mode_native_qr_cut_and_drawer() -> None:
    rendered = render(sample_receipt(), settings_for(drawer_pin=5))
    parsed = parse(rendered.data)
    assert rendered.data.startswith(b"\x1b@" + CHINESE_MODE)
    assert parsed.qr == [BALANCE_URL.encode()]
    cut_at = rendered.data.rindex(b"\x1dV")
    kick_at = rendered.data.rindex(b"\x1bp\x01")  # ESC p 1: pin 5
    assert kick_at > cut_at
    off = render(sample_receipt(), settings_for(drawer_kick=False, chinese_mode="off"))
    assert b"\x1bp" not in off.data and CHINESE_MODE not in off.data


def test_reprint_never_opens_the_drawer() -> None:
    rendered = render(sample_receipt(reprint=1), Settings())
    assert b"\x1bp" not in rendered.data
    assert "重打（副本）第 1 次" in "\n".join(parse(rendered.data).lines())


def test_qr_as_image_decodes_to_the_balance_url() -> None:
    rendered = render(sample_receipt(), settings_for(qr="image", paper_width_mm=58))
    parsed = parse(rendered.data)
    assert parsed.qr == []
    (image,) = [im for im in parsed.images if im.height > 100]
    assert image.width == 384
    decoded = zxingcpp.read_barcodes(ImageOps.invert(image.convert("L")))
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
