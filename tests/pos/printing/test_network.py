"""The network backend against a loopback TCP printer (port 0): the bytes arrive, the Chinese
reads back, the QR is the balance URL; a closed or stalled printer fails within the timeout."""

from __future__ import annotations

import time

import pytest
import zxingcpp

from core.config import Settings
from pos.printing.adapter import PrinterError, print_document

from .conftest import BALANCE_URL, CapturePrinter, network_settings, sample_receipt
from .escpos_parse import parse


@pytest.mark.parametrize(("paper", "width"), [(58, 32), (80, 48)])
def test_receipt_arrives_over_tcp(capture_printer: CapturePrinter, paper: int, width: int) -> None:
    settings = network_settings(Settings(), capture_printer.port, paper_width_mm=paper)
    print_document(sample_receipt(), settings)
    (data,) = capture_printer.wait(1)
    assert data.startswith(b"\x10\x04\x01\x10\x04\x04")  # status asked first
    parsed = parse(data).check(paper)  # no line wider than the paper
    lines = parsed.lines("gb18030")
    assert parsed.status_queries == 2
    assert "持卡人：张*䶮" in "\n".join(lines)
    assert any(line.endswith("￥2.30") and "4.50/kg" in line for line in lines)
    assert any("0.512kg" in line for line in lines)
    assert max(line.cells for line in parsed.text_lines()) == width
    assert parsed.qr == [BALANCE_URL.encode()]


def test_qr_image_over_tcp_decodes(capture_printer: CapturePrinter) -> None:
    settings = network_settings(Settings(), capture_printer.port, qr="image")
    print_document(sample_receipt(), settings)
    (data,) = capture_printer.wait(1)
    images = [im for im in parse(data).images if im.height > 100]
    decoded = zxingcpp.read_barcodes(images[0])
    assert [d.text for d in decoded] == [BALANCE_URL]


def test_closed_printer_fails_fast(closed_port: int) -> None:
    settings = network_settings(Settings(), closed_port)
    started = time.monotonic()
    with pytest.raises(PrinterError, match="无法连接打印机"):
        print_document(sample_receipt(), settings)
    assert time.monotonic() - started < 2


def test_stalled_printer_gives_up_within_the_timeout(stalled_port: int) -> None:
    settings = network_settings(Settings(), stalled_port, timeout_seconds="0.5")
    started = time.monotonic()
    with pytest.raises(PrinterError, match="无应答"):
        print_document(sample_receipt(), settings)
    assert time.monotonic() - started < 1.5


def test_printer_out_of_paper_refuses() -> None:
    printer = CapturePrinter(paper_out=True)
    try:
        with pytest.raises(PrinterError, match="缺纸"):
            print_document(sample_receipt(), network_settings(Settings(), printer.port))
    finally:
        printer.close()
