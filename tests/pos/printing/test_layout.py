"""The layout engine: the receipt's content on 58 and 80 mm, the refund slip, the copy, the
shift report; every line within the paper's columns."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import Money
from pos.printing.document import Document, ReceiptLine
from pos.printing.layout import (
    Barcode,
    Cut,
    Drawer,
    Qr,
    Text,
    columns,
    layout_document,
    width_of,
)

from .conftest import (
    BALANCE_URL,
    SALE_NO,
    sample_cash_sale,
    sample_receipt,
    sample_refund,
    sample_reprint,
    sample_zreport,
)
from .test_text import name_chars

TZ = ZoneInfo("Asia/Shanghai")
WIDTHS = pytest.mark.parametrize("width", [32, 48])


def printed(document: Document, width: int) -> list[str]:
    return layout_document(document, width=width, tz=TZ).lines()


def fits(width: int, *documents: Document) -> None:
    for document in documents:
        layout = layout_document(document, width=width, tz=TZ)
        for op in layout.ops:
            if isinstance(op, Text):
                assert width_of(op.padded(width)) == (width // 2 if op.double else width), op


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(
    name_chars, st.sampled_from(["￥1.00", "-￥12.34", "￥1234567.89"]), st.sampled_from([32, 48])
)
def test_amounts_are_right_aligned(label: str, amount: str, width: int) -> None:
    rows = columns(label, amount, width)
    assert rows[-1].padded(width).endswith(amount)
    assert all(width_of(row.padded(width)) == width for row in rows)


@settings(deadline=None)
@given(name_chars, name_chars, st.sampled_from([32, 48]))
def test_any_name_fits_the_paper(name: str, unit: str, width: int) -> None:
    line = ReceiptLine(name, Decimal("12.345"), unit[:4], Money(99999), Money(123456), Money(1))
    fits(width, sample_receipt(lines=(line,), holder_masked=name[:8], cashier=name[:10]))
    fits(width, sample_cash_sale(lines=(line,)), sample_refund(lines=(line,), reason=name))


@WIDTHS
def test_card_sale_says_everything_the_contract_lists(width: int) -> None:
    fits(width, sample_receipt())
    layout = layout_document(sample_receipt(), width=width, tz=TZ)
    lines = layout.lines()
    text = "\n".join(lines)
    assert "¥" not in text  # U+00A5 is not in GBK
    for expected in (
        "惠济区慈善超市",
        "郑州市惠济区天河路 1 号",
        "电话：0371-6612 3456",
        "营业时间：每天 8:30-18:00",
        "2026-11-29 10:05:30",  # Shanghai time
        "终端：01",
        "收银员：王收银",
        f"单号：{SALE_NO}",
        "慈善优惠",
        "-￥6.30",
        "应付",
        "卡支付",
        "找零",
        "卡内余额",
        "本季度衣物：已领 1 件，剩余 0 件",
        "持卡人：张*䶮",
        "卡号尾号 0427",
        "代领人：李*",
        "冬季棉衣（衣物）",
    ):
        assert expected in text, expected
    # the item count: 1 + 1 (0.512 kg of rice is one item) + 2 + 1
    assert any(x.startswith("件数") and x.endswith("5 件") for x in lines)
    # each line: quantity, 标价 and 慈善价; the weighed one per kg, its total at the right edge
    assert text.count("标价 ￥") + text.count("标价￥") == 4
    assert text.count("慈善价 ￥") + text.count("慈善价￥") == 4
    rice = lines.index("散装大米")
    detail = "\n".join(lines[rice + 1 : rice + 3])
    assert "0.512kg" in detail and "5.00/kg" in detail and "4.50/kg" in detail
    total_line = next(x for x in lines[rice + 1 : rice + 3] if x.endswith("￥2.30"))
    assert width_of(total_line) == width
    assert "1桶" in text and "66.00" in text and "62.70" in text
    # the sale number as a barcode for returns, the balance page as a QR
    assert [op for op in layout.ops if isinstance(op, Barcode)] == [Barcode(SALE_NO)]
    assert [op for op in layout.ops if isinstance(op, Qr)] == [Qr(BALANCE_URL)]
    assert isinstance(layout.ops[-2], Cut) and isinstance(layout.ops[-1], Drawer)
    assert "重打" not in text and "退货" not in text


def test_price_details_share_a_line_at_80_but_not_at_58() -> None:
    narrow, wide = printed(sample_receipt(), 32), printed(sample_receipt(), 48)
    assert "  1桶  标价 ￥66.00" in narrow
    assert any(x.startswith("  慈善价 ￥62.70") and x.endswith("￥62.70") for x in narrow)
    assert any(x.startswith("  1桶  标价 ￥66.00  慈善价 ￥62.70") for x in wide)


def test_the_long_name_wraps_at_58_and_not_at_80() -> None:
    narrow, wide = printed(sample_receipt(), 32), printed(sample_receipt(), 48)
    assert "金龙鱼 大豆油 5L 非转基因压榨一级食用油家庭装" in wide
    # broken at the space before a short enough word, never inside a character
    assert "金龙鱼 大豆油 5L" in narrow and "非转基因压榨一级食用油家庭装" in narrow


@WIDTHS
def test_cash_sale_of_the_public_has_one_price_and_no_card_block(width: int) -> None:
    fits(width, sample_cash_sale())
    lines = printed(sample_cash_sale(), width)
    text = "\n".join(lines)
    assert "卡内余额" not in text and "卡支付" not in text and "[QR" not in text
    assert "慈善价" not in text and "慈善优惠" not in text  # the public pays the list price
    assert any(x.startswith("  3包 x ￥15.90") and x.endswith("￥47.70") for x in lines)
    assert any(x.startswith("件数") and x.endswith("4 件") for x in lines)
    assert any(x.startswith("找零") and x.endswith("￥3.80") for x in lines)
    assert "[BARCODE 20261129-01-000043]" in lines and lines[-1] == "[DRAWER]"


def test_card_only_sale_does_not_kick_the_drawer() -> None:
    receipt = sample_receipt(paid_card=Money(6900), paid_cash=Money(0), change=Money(0))
    layout = layout_document(receipt, width=32, tz=TZ)
    assert not any(isinstance(op, Drawer) for op in layout.ops)


@WIDTHS
def test_refund_slip_totals_the_returned_lines(width: int) -> None:
    fits(width, sample_refund())
    lines = printed(sample_refund(), width)
    text = "\n".join(lines)
    assert "退货单" in text and f"退货单号：{SALE_NO}-R1" in text
    assert f"原销售单号：{SALE_NO}" in text and "原因：包装破损" in text
    assert "收银员：赵店长" in text and "电话：0371-6612 3456" in text

    def row(label: str) -> str:
        return next(x for x in lines if x.startswith(label)).split()[-1]

    assert row("退货标价合计") == "￥68.56"  # the list total of the lines returned
    assert row("慈善优惠") == "-￥3.56"
    assert row("退款合计") == "￥65.00"
    assert row("退回卡内") == "￥50.00" and row("退还现金") == "￥15.00"
    assert row("退款后卡内余额") == "￥50.00"
    assert "卡号尾号 0427" in text and "持卡人：张*䶮" in text
    assert any(x.startswith("退货件数") and x.endswith("2 件") for x in lines)
    assert "[BARCODE" not in text and "[QR" not in text
    assert lines[-1] == "[DRAWER]"  # cash goes back


def test_refund_to_the_card_only_does_not_open_the_drawer_nor_print_cash() -> None:
    lines = printed(sample_refund(paid_card=Money(6500), paid_cash=Money(0)), 32)
    assert "[DRAWER]" not in lines and not any(x.startswith("退还现金") for x in lines)


@WIDTHS
def test_reprint_is_marked_with_its_time_and_the_later_refunds(width: int) -> None:
    fits(width, sample_reprint())
    layout = layout_document(sample_reprint(), width=width, tz=TZ)
    lines = layout.lines()
    text = "\n".join(lines)
    assert "重打（副本）第 1 次" in text and "重打时间：2026-11-30 09:15:00" in text
    assert "2026-11-29 10:05:30" in text  # the sale's own time stays
    # the balance as it was at the sale, and a note to read it with the refund slip
    balance = next(x for x in lines if x.startswith("卡内余额"))
    assert balance.startswith("卡内余额（销售时）") and balance.endswith("￥0.00")
    assert "本单已退货 1 笔，请以退货单为准" in text
    assert not any(isinstance(op, Drawer) for op in layout.ops)  # a copy opens no drawer
    unrefunded = "\n".join(printed(sample_reprint(later_refunds=0, reprint=2), width))
    assert "重打（副本）第 2 次" in unrefunded and "已退货" not in unrefunded


@WIDTHS
def test_money_is_written_one_way(width: int) -> None:
    for document in (sample_receipt(), sample_refund(), sample_cash_sale(), sample_zreport()):
        text = "\n".join(printed(document, width))
        assert "￥-" not in text and "−" not in text and "¥" not in text


@WIDTHS
def test_z_report_uses_the_same_engine(width: int) -> None:
    lines = layout_document(sample_zreport(), width=width, tz=TZ).lines()
    text = "\n".join(lines)
    for expected in (
        "Z 报表（交班）",
        "班次：T01-20261129-1",
        "应有现金",
        "实点现金",
        "-￥1.00",
        "找零失误",
    ):
        assert expected in text
    assert all(width_of(x) <= width for x in lines if not x.startswith("["))
    x_report = "\n".join(layout_document(sample_zreport(report="X"), width=width, tz=TZ).lines())
    assert "X 报表" in x_report
