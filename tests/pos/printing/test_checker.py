"""The receipt checker itself (escpos_parse, escpos_draw), on bytes written by hand from the
ESC/POS and GB18030 specifications: if it were wrong, the receipt tests would prove nothing."""

from __future__ import annotations

import pytest
import zxingcpp

from .escpos_draw import barcode_image
from .escpos_parse import (
    Barcode,
    Cut,
    Drawer,
    PrinterProtocolError,
    QrCode,
    Raster,
    decode_code128,
    parse,
)

GS, ESC = b"\x1d", b"\x1b"


def test_cells_are_counted_from_the_bytes() -> None:
    # 大 = B4 F3 (two bytes), ä = 81 30 8A 31 (four bytes), A = 41: 2 + 2 + 1 cells
    assert "大".encode("gb18030") == b"\xb4\xf3"
    assert "ä".encode("gb18030") == b"\x81\x30\x8a\x31"
    (line,) = parse(b"\xb4\xf3\x81\x30\x8a\x31A\n").text_lines()
    assert (line.text, line.cells) == ("大äA", 5)


def test_character_size_and_style_are_followed() -> None:
    data = ESC + b"a\x01" + ESC + b"E\x01" + GS + b"!\x11" + "超市".encode("gb18030") + b"\n"
    data += GS + b"!\x00" + ESC + b"E\x00" + ESC + b"a\x02" + b"12\n"
    big, small = parse(data).text_lines()
    assert (big.text, big.cells, big.align, big.bold, big.width, big.height) == (
        "超市",
        8,
        "center",
        True,
        2,
        2,
    )
    assert (small.cells, small.align, small.bold) == (2, "right", False)


def test_a_gbk_printer_has_no_four_byte_codes() -> None:
    with pytest.raises(PrinterProtocolError, match="GBK"):
        parse("ä\n".encode("gb18030"), "gbk")
    with pytest.raises(PrinterProtocolError, match="two-byte"):
        parse(b"\xb4\x0a\n")


def test_a_line_wider_than_the_paper_is_refused() -> None:
    assert parse(b"x" * 32 + b"\n").check(58)
    with pytest.raises(PrinterProtocolError, match="33 cells"):
        parse(b"x" * 31 + "ä".encode("gb18030") + b"\n").check(58)
    assert parse(b"x" * 48 + b"\n").check(80)
    with pytest.raises(PrinterProtocolError, match="line of 34"):
        parse(GS + b"!\x11" + b"x" * 17 + b"\n").check(58)  # double width


def test_unknown_commands_are_not_passed_over() -> None:
    with pytest.raises(PrinterProtocolError, match="unknown command"):
        parse(ESC + b"Z\x01")


def test_qr_cut_drawer_and_images() -> None:
    payload = b"http://kiosk.test/b/x"
    store = GS + b"(k" + bytes([len(payload) + 3, 0]) + b"1P0" + payload
    data = (
        GS + b"(k\x03\x001C\x05" + store + GS + b"(k\x03\x001Q0"
        + GS + b"v0\x00\x01\x00\x02\x00\x80\x00"  # 8 x 2 dots: one black dot at (0, 0)
        + GS + b"V\x00" + ESC + b"p\x00\x32\x32"
    )  # fmt: skip
    printout = parse(data)
    qr, image, cut, drawer = printout.items
    assert isinstance(qr, QrCode) and (qr.text, qr.module) == (payload.decode(), 5)
    assert isinstance(image, Raster) and image.image.size == (8, 2)
    assert image.image.getpixel((0, 0)) == 0 and image.image.getpixel((1, 0)) == 255
    assert isinstance(cut, Cut) and isinstance(drawer, Drawer) and drawer.pin == 0


def test_a_picture_cannot_start_in_the_middle_of_a_line() -> None:
    with pytest.raises(PrinterProtocolError, match="middle of a text line"):
        parse(b"abc" + GS + b"v0\x00\x01\x00\x01\x00\x00")


def test_code128_sets_are_decoded_and_the_drawn_bars_scan() -> None:
    # {B "S", {C 20 26 11 29, {B "-", {C 00 01: set C bytes are numbers 0-99
    data = b"{BS{C\x14\x1a\x0b\x1d{B-{C\x00\x01"
    text, values = decode_code128(data)
    assert text == "S20261129-0001"
    assert values == [104, 51, 99, 20, 26, 11, 29, 100, 13, 99, 0, 1]
    command = GS + b"h\x40" + GS + b"w\x02" + GS + b"H\x02" + GS + b"k" + bytes([73, len(data)])
    (code,) = parse(command + data).barcodes
    assert isinstance(code, Barcode)
    assert (code.text, code.module, code.height, code.hri) == ("S20261129-0001", 2, 64, 2)
    assert code.modules == 11 * 13 + 13 and code.dots == 312
    decoded = zxingcpp.read_barcodes(barcode_image(code))
    assert [(d.format.name, d.text) for d in decoded] == [("Code128", "S20261129-0001")]
    assert decode_code128(b"{BA{{B")[0] == "A{B"
    with pytest.raises(PrinterProtocolError, match="> 99"):
        decode_code128(b"{C\x64")
