"""The layout engine: display columns, wrapping, the receipt's content on 58 and 80 mm."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.money import Money
from pos.printing.layout import (
    Cut,
    Drawer,
    Qr,
    Text,
    char_width,
    clean,
    columns,
    cut,
    layout_document,
    width_of,
    wrap,
)

from .conftest import BALANCE_URL, sample_receipt, sample_zreport

TZ = ZoneInfo("Asia/Shanghai")

# names as they come: Han (incl. rare ones), ASCII, full-width punctuation, ￥, spaces
name_chars = st.text(
    alphabet=st.sampled_from(list("大米油盐酱醋茶面粉䶮𠀀ABCxyz0129 .-（）￥·、，：×…")),
    max_size=80,
)


def test_han_is_two_columns_ascii_one() -> None:
    assert width_of("大米5kg") == 2 + 2 + 3
    assert char_width("￥") == 2 and char_width("×") == 2 and char_width("a") == 1


def test_clean_removes_printer_commands_and_half_width_yen() -> None:
    assert clean("油\x1b@\x1dV0") == "油 @ V0"
    assert clean("¥5") == "￥5"


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(name_chars, st.integers(min_value=2, max_value=48))
def test_wrap_never_exceeds_width_nor_splits_a_character(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert all(width_of(line) <= width for line in lines)
    # every character arrives whole and in order (only spaces at breaks may go)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert line.encode("gb18030").decode("gb18030") == line


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(name_chars, st.integers(min_value=2, max_value=48))
def test_cut_fits_and_marks_the_cut(text: str, width: int) -> None:
    out = cut(text, width)
    assert width_of(out) <= width
    if out != text:
        assert out.endswith("…") and text.startswith(out[:-1])


@settings(deadline=None)  # a busy CI machine must not make these flaky
@given(
    name_chars, st.sampled_from(["￥1.00", "-￥12.34", "￥1234567.89"]), st.sampled_from([32, 48])
)
def test_amounts_are_right_aligned(label: str, amount: str, width: int) -> None:
    rows = columns(label, amount, width)
    assert rows[-1].padded(width).endswith(amount)
    assert all(width_of(row.padded(width)) == width for row in rows)


@pytest.mark.parametrize(("paper", "width"), [(58, 32), (80, 48)])
def test_receipt_fits_the_paper_and_says_everything(paper: int, width: int) -> None:
    layout = layout_document(sample_receipt(), width=width, tz=TZ)
    texts = [op for op in layout.ops if isinstance(op, Text)]
    for op in texts:
        assert width_of(op.padded(width)) == (width // 2 if op.double else width), op
    printed = "\n".join(layout.lines())
    assert "¥" not in printed  # U+00A5 is not in GBK
    for expected in (
        "惠济区慈善超市",
        "2026-11-29 10:05:30",  # Shanghai time
        "终端：01",
        "收银员：王收银",
        "单号：S20261129-0001",
        "0.512kg x ￥4.50",
        "标价 ￥5.00",
        "慈善优惠",
        "-￥6.30",
        "应付",
        "卡支付",
        "找零",
        "卡内余额",
        "本季度衣物：已领 1 件，剩余 0 件",
        "持卡人：张*䶮",
        "卡号尾号 0427",
        "冬季棉衣（衣物）",
    ):
        assert expected in printed, expected
    # the weighed line: quantity x charity price, and the line total at the right edge
    line = next(x for x in layout.lines() if "0.512kg" in x)
    assert line.endswith("￥2.30") and width_of(line) == width
    # a discounted line shows its list price; an undiscounted one does not
    assert printed.count("标价 ￥") == 2
    assert [op for op in layout.ops if isinstance(op, Qr)] == [Qr(BALANCE_URL)]
    assert isinstance(layout.ops[-2], Cut) and isinstance(layout.ops[-1], Drawer)
    assert "重打" not in printed


def test_the_long_name_wraps_at_58_and_not_at_80() -> None:
    narrow = layout_document(sample_receipt(), width=32, tz=TZ).lines()
    wide = layout_document(sample_receipt(), width=48, tz=TZ).lines()
    assert "金龙鱼 大豆油 5L 非转基因压榨一级食用油家庭装" in wide
    # broken at the space before a short enough word, never inside a character
    assert "金龙鱼 大豆油 5L" in narrow and "非转基因压榨一级食用油家庭装" in narrow


def test_reprint_is_marked_with_its_counter_and_does_not_open_the_drawer() -> None:
    layout = layout_document(sample_receipt(reprint=2), width=48, tz=TZ)
    assert any("重打（副本）第 2 次" in line for line in layout.lines())
    assert not any(isinstance(op, Drawer) for op in layout.ops)


def test_card_only_sale_does_not_kick_the_drawer() -> None:
    receipt = sample_receipt(paid_card=Money(6900), paid_cash=Money(0), change=Money(0))
    layout = layout_document(receipt, width=32, tz=TZ)
    assert not any(isinstance(op, Drawer) for op in layout.ops)


def test_public_sale_without_card_has_no_card_block() -> None:
    receipt = sample_receipt(
        paid_card=Money(0),
        card_balance_after=None,
        holder_masked=None,
        card_tail=None,
        clothing_used=None,
        clothing_left=None,
        qr_url=None,
    )
    printed = "\n".join(layout_document(receipt, width=32, tz=TZ).lines())
    assert "卡内余额" not in printed and "卡支付" not in printed and "[QR" not in printed


def test_refund_slip_uses_the_same_engine() -> None:
    refund = sample_receipt(
        kind="refund",
        number="R20261129-0001",
        original_number="S20261129-0001",
        paid_cash=Money(0),
        change=Money(0),
        reason="包装破损",
    )
    lines = layout_document(refund, width=32, tz=TZ).lines()
    printed = "\n".join(lines)
    assert "退货单" in printed and "退货单号：R20261129-0001" in printed
    assert "原销售单号：S20261129-0001" in printed and "原因：包装破损" in printed
    assert all(width_of(x) <= 32 for x in lines if not x.startswith("["))


@pytest.mark.parametrize("width", [32, 48])
def test_z_report_uses_the_same_engine(width: int) -> None:
    lines = layout_document(sample_zreport(), width=width, tz=TZ).lines()
    printed = "\n".join(lines)
    for expected in (
        "Z 报表（交班）",
        "班次：T01-20261129-1",
        "应有现金",
        "实点现金",
        "-￥1.00",
        "找零失误",
    ):
        assert expected in printed
    assert all(width_of(x) <= width for x in lines if not x.startswith("["))
    x_report = "\n".join(layout_document(sample_zreport(report="X"), width=width, tz=TZ).lines())
    assert "X 报表" in x_report
