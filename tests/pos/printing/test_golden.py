"""Golden bytes of the four receipts on 58 and 80 mm paper (a card sale with a weighed item, a
clothing item and a proxy; a cash sale of the public with four-byte GB18030 names; a refund
slip; a copy after a refund), each read back by the independent checker and asserted on what it
says, not only on its bytes. The printouts are drawn to test-artifacts/receipts/ to look at."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp

from core.config import Settings
from pos.printing.adapter import render
from pos.printing.document import Receipt

from .conftest import (
    BALANCE_URL,
    SALE_NO,
    sample_cash_sale,
    sample_receipt,
    sample_refund,
    sample_reprint,
)
from .escpos_draw import barcode_image, draw
from .escpos_parse import Printout, parse

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("CHARITY_UPDATE_GOLDEN"))
COLUMNS = {58: 32, 80: 48}
PAPERS = pytest.mark.parametrize("paper", [58, 80])


def check_golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_bytes(data)
    assert data == path.read_bytes(), f"{name} changed (CHARITY_UPDATE_GOLDEN=1 to accept)"


def printout(
    name: str, make: Callable[[], Receipt], paper: int, artifacts: Path, **printer: object
) -> Printout:
    """Render, compare with the golden file, read back with the checker (which refuses any line
    wider than the paper), draw it for people, and return what the printer printed."""
    settings = Settings().with_overrides(printer={"paper_width_mm": paper, **printer})
    rendered = render(make(), settings)
    assert not rendered.warnings
    check_golden(f"{name}_{paper}.bin", rendered.data)
    result = parse(rendered.data, settings.printer.encoding).check(paper)
    folder = artifacts / "receipts"
    folder.mkdir(exist_ok=True)
    draw(result, paper).save(folder / f"{name}_{paper}.png")
    return result


def row(lines: list[str], label: str) -> str:
    """The amount at the right of the line that starts with `label`."""
    return next(line for line in lines if line.startswith(label)).split()[-1]


def scans(result: Printout, expected: str, paper: int) -> None:
    (code,) = result.barcodes
    assert code.text == expected and code.hri == 2  # its number printed below
    assert code.dots <= {58: 384, 80: 576}[paper] and code.module >= 2
    assert [d.text for d in zxingcpp.read_barcodes(barcode_image(code))] == [expected]


@PAPERS
def test_card_sale(paper: int, artifacts: Path) -> None:
    result = printout("card_sale", sample_receipt, paper, artifacts)
    lines = result.lines()
    text = result.text
    for expected in (
        "电话：0371-6612 3456",
        "营业时间：每天 8:30-18:00",
        "收银员：王收银",
        f"单号：{SALE_NO}",
        "持卡人：张*䶮",  # 䶮 is a two-byte GB18030 code (FE 9F)
        "卡号尾号 0427",
        "代领人：李*",
        "本季度衣物：已领 1 件，剩余 0 件",
        "冬季棉衣（衣物）",
        "挂面（特价￥2）",
    ):
        assert expected in text, expected
    assert next(x for x in lines if x.startswith("件数")).endswith(" 5 件")
    assert row(lines, "标价合计") == "￥75.30" and row(lines, "慈善优惠") == "-￥6.30"
    assert row(lines, "应付") == "￥69.00" and row(lines, "卡支付") == "￥50.00"
    assert row(lines, "现金") == "￥20.00" and row(lines, "找零") == "￥1.00"
    assert row(lines, "卡内余额") == "￥0.00"
    assert text.count("慈善价") == 4 and text.count("标价") == 5  # four lines and the total
    assert "4.50/kg" in text and "5.00/kg" in text and "0.512kg" in text
    assert max(line.cells for line in result.text_lines()) == COLUMNS[paper]
    scans(result, SALE_NO, paper)
    assert result.qr == [BALANCE_URL.encode()]
    assert lines[-2:] == ["[CUT]", "[DRAWER]"]
    assert b"?" not in b"".join(line.raw for line in result.text_lines())


@PAPERS
def test_cash_sale_with_four_byte_characters(paper: int, artifacts: Path) -> None:
    result = printout("cash_sale", sample_cash_sale, paper, artifacts)
    lines = result.lines()
    four_byte = [line for line in result.text_lines() if b"\x81\x30" in line.raw]
    assert four_byte, "the names send ä © £ ｶ as four-byte codes"
    assert all(line.cells <= COLUMNS[paper] for line in four_byte)
    assert "Käse Gouda ©Holland £4" in result.text and "ｶﾞｳﾀﾞ" in result.text
    assert row(lines, "应付") == "￥56.20" and row(lines, "找零") == "￥3.80"
    assert "慈善价" not in result.text and "卡内余额" not in result.text
    scans(result, "20261129-01-000043", paper)
    assert result.qr == [] and lines[-1] == "[DRAWER]"


@PAPERS
def test_refund_slip(paper: int, artifacts: Path) -> None:
    result = printout("refund", sample_refund, paper, artifacts)
    lines = result.lines()
    assert "退货单" in result.text and f"原销售单号：{SALE_NO}" in result.text
    assert row(lines, "退货标价合计") == "￥68.56" and row(lines, "慈善优惠") == "-￥3.56"
    assert row(lines, "退款合计") == "￥65.00"
    assert row(lines, "退回卡内") == "￥50.00" and row(lines, "退还现金") == "￥15.00"
    assert row(lines, "退款后卡内余额") == "￥50.00"
    assert "卡号尾号 0427" in result.text and "收银员：赵店长" in result.text
    assert result.barcodes == [] and result.qr == []


@PAPERS
def test_reprint_after_a_refund(paper: int, artifacts: Path) -> None:
    result = printout("reprint", sample_reprint, paper, artifacts)
    lines = result.lines()
    assert "重打（副本）第 1 次" in result.text
    assert "重打时间：2026-11-30 09:15:00" in result.text
    assert row(lines, "卡内余额（销售时）") == "￥0.00"
    assert "本单已退货 1 笔，请以退货单为准" in result.text
    bold = [line.text for line in result.text_lines() if line.bold]
    assert "本单已退货 1 笔，请以退货单为准" in bold
    scans(result, SALE_NO, paper)
    assert "[DRAWER]" not in lines  # a copy opens no drawer
