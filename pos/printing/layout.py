"""The one layout engine: a document in, a list of layout operations out, measured in display
columns of the printer's normal font (32 on 58 mm paper, 48 on 80 mm).

Text is measured and broken by `pos.printing.text` (ASCII one column, every other character two,
as GB18030 printers draw them; the line-breaking rules 禁则). Amounts are right-aligned and
always written as `core.money.Money.format` writes them (`￥4.67`, `-￥4.67`), never `¥` (U+00A5,
absent from GBK). Both the ESC/POS renderer (`adapter`) and the HTML preview (`preview`) consume
the same operations, so the preview is the printed layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal

from core.money import Money
from pos.printing.document import Document, Receipt, ReceiptLine, Slip, ZReport
from pos.printing.text import Align, char_width, clean, cut, pad, width_of, wrap

COLUMNS = {58: 32, 80: 48}
NAME_LINES = 2  # a product name wraps to at most this many lines, then is cut with …

__all__ = [  # the measuring helpers are re-exported for the renderer and the tests
    "COLUMNS",
    "Barcode",
    "Cut",
    "Drawer",
    "Feed",
    "Layout",
    "Op",
    "Qr",
    "Text",
    "char_width",
    "clean",
    "columns",
    "cut",
    "layout_document",
    "pad",
    "width_of",
    "wrap",
]


# --- operations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One printed line. `text` fits the line (half the columns when `double`); the renderer
    aligns it. `double` is double width and height."""

    text: str
    align: Align = "left"
    bold: bool = False
    double: bool = False

    def padded(self, width: int) -> str:
        """The whole line as it appears on paper, in columns of its own size."""
        room = width // 2 if self.double else width
        return pad(self.text, room, self.align)


@dataclass(frozen=True)
class Qr:
    """A QR code of `data` (the card's balance page), centred."""

    data: str


@dataclass(frozen=True)
class Barcode:
    """A CODE128 barcode of `data` (printable ASCII: the sale number, scanned for a return),
    centred, with its text printed below it by the printer."""

    data: str


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """Feed past the cutter and cut."""


@dataclass(frozen=True)
class Drawer:
    """Kick the cash drawer open."""


Op = Text | Qr | Barcode | Feed | Cut | Drawer


@dataclass(frozen=True)
class Layout:
    width: int
    ops: tuple[Op, ...]

    def lines(self) -> list[str]:
        """The text lines as printed (for tests and logs): QR as [QR ...], cut as a marker."""
        out: list[str] = []
        for op in self.ops:
            if isinstance(op, Text):
                out.append(op.padded(self.width).rstrip())
            elif isinstance(op, Qr):
                out.append(f"[QR {op.data}]")
            elif isinstance(op, Barcode):
                out.append(f"[BARCODE {op.data}]")
            elif isinstance(op, Feed):
                out.extend([""] * op.lines)
            elif isinstance(op, Cut):
                out.append("[CUT]")
            else:
                out.append("[DRAWER]")
        return out


# --- building blocks ---------------------------------------------------------------------------


def columns(left: str, right: str, width: int, *, bold: bool = False) -> list[Text]:
    """`left` at the left, `right` right-aligned on the same line when both fit (at least one
    space apart); otherwise `left` wrapped and `right` on the last line or a line of its own."""
    right = cut(right, width)
    room = width - width_of(right) - 1
    if room >= 2 and width_of(left) <= room:
        return [Text(left + " " * (width - width_of(left) - width_of(right)) + right, bold=bold)]
    parts = wrap(left, width)
    last = parts[-1]
    if width_of(last) <= room:
        head = [Text(p, bold=bold) for p in parts[:-1]]
        gap = width - width_of(last) - width_of(right)
        return [*head, Text(last + " " * gap + right, bold=bold)]
    return [Text(p, bold=bold) for p in parts] + [Text(right, align="right", bold=bold)]


def rule(width: int, char: str = "-") -> Text:
    return Text(char * width)


def centred(text: str, width: int, *, bold: bool = False, double: bool = False) -> list[Text]:
    """Centred, wrapped lines; a double-size title too wide for half the columns prints normal."""
    text = clean(text)
    if double and width_of(text) <= width // 2:
        return [Text(text, align="center", bold=bold, double=True)]
    return [Text(part, align="center", bold=bold) for part in wrap(text, width)]


def fmt_qty(qty: Decimal) -> str:
    """2 -> "2", 0.512 -> "0.512" (never scientific notation)."""
    text = f"{qty:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_at(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def money(amount: Money) -> str:
    """The one way an amount is written on paper: ￥4.67, -￥4.67."""
    return amount.format()


def barcode_text(data: str) -> bool:
    """Whether `data` can be a CODE128 barcode (printable ASCII, 1 to 30 characters)."""
    return 0 < len(data) <= 30 and all(32 <= ord(c) < 127 for c in data)


# --- documents ---------------------------------------------------------------------------------


def _header(
    store_name: str,
    title: str | None,
    width: int,
    *,
    reprint: int = 0,
    reprinted_at: str | None = None,
    details: tuple[str, ...] = (),
) -> list[Op]:
    ops: list[Op] = [*centred(store_name, width, bold=True, double=True)]
    for detail in details:
        if detail:
            ops += centred(detail, width)
    if title:
        ops += centred(title, width, bold=True, double=True)
    if reprint:
        ops += centred(f"重打（副本）第 {reprint} 次", width, bold=True)
        if reprinted_at:
            ops += centred(f"重打时间：{reprinted_at}", width)
    ops.append(rule(width))
    return ops


def _field(label: str, value: str, width: int) -> list[Text]:
    return [Text(p) for p in wrap(clean(f"{label}：{value}"), width)]


def _goods_line(line: ReceiptLine, width: int, *, charity: bool) -> list[Op]:
    """A line of goods: its name (at most two lines), then quantity and price and the line's
    total at the right. A card holder's line shows 标价 and 慈善价 (per unit, per kg for weighed
    goods), on one line when it fits, else the 慈善价 and total on a second."""
    name = clean(line.name) + ("（衣物）" if line.clothing else "")
    parts = wrap(name, width)
    if len(parts) > NAME_LINES:
        rest = "".join(parts[NAME_LINES - 1 :])
        parts = [*parts[: NAME_LINES - 1], cut(rest, width)]
    ops: list[Op] = [Text(p) for p in parts]
    unit = clean(line.unit)
    qty = f"{fmt_qty(line.qty)}{unit}"
    per = f"/{unit}" if line.weighed and unit else ""
    total = money(line.total)
    if not charity:
        return ops + columns(f"  {qty} x {money(line.unit_price)}{per}", total, width)
    listed = f"标价 {money(line.unit_list)}{per}"
    price = f"慈善价 {money(line.unit_price)}{per}"
    for one in (f"  {qty}  {listed}  {price}", f"  {qty} {listed} {price}".replace(" ￥", "￥")):
        if width_of(one) + 1 + width_of(total) <= width:
            return ops + columns(one, total, width)
    ops += [Text(p) for p in wrap(f"  {qty}  {listed}", width)]
    return ops + columns(f"  {price}", total, width)


def _sale_totals(receipt: Receipt, width: int) -> list[Op]:
    ops: list[Op] = []
    ops += columns("件数", f"{receipt.items} 件", width)
    ops += columns("标价合计", money(receipt.list_total), width)
    if receipt.discount_total or receipt.card_sale:
        ops += columns("慈善优惠", money(-receipt.discount_total), width)
    ops += columns("应付", money(receipt.total), width, bold=True)
    if receipt.paid_card or receipt.card_sale:
        ops += columns("卡支付", money(receipt.paid_card), width)
    if receipt.paid_qr:
        ops += columns("扫码收款", money(receipt.paid_qr), width)
        ops += _field("交易尾号", receipt.qr_reference, width)
    ops += columns("现金", money(receipt.paid_cash), width)
    ops += columns("找零", money(receipt.change), width)
    return ops


def _refund_totals(receipt: Receipt, width: int) -> list[Op]:
    ops: list[Op] = []
    ops += columns("退货件数", f"{receipt.items} 件", width)
    ops += columns("退货标价合计", money(receipt.list_total), width)
    ops += columns("慈善优惠", money(-receipt.discount_total), width)
    ops += columns("退款合计", money(receipt.total), width, bold=True)
    if receipt.paid_card or receipt.card_sale:
        ops += columns("退回卡内", money(receipt.paid_card), width)
    if receipt.paid_qr:
        ops += columns("扫码退回", money(receipt.paid_qr), width)
    if receipt.paid_cash or not (receipt.card_sale or receipt.paid_qr):
        ops += columns("退还现金", money(receipt.paid_cash), width)
    if receipt.reason:
        ops += _field("原因", receipt.reason, width)
    return ops


def _card_block(receipt: Receipt, width: int) -> list[Op]:
    """The holder's part: masked holder and card tail, the proxy, the balance after, the
    quarter's clothing; on a copy of a sale refunded since, a note."""
    ops: list[Op] = []
    if receipt.holder_masked or receipt.card_tail:
        ops += columns(
            clean(f"持卡人：{receipt.holder_masked or ''}"),
            clean(f"卡号尾号 {receipt.card_tail}") if receipt.card_tail else "",
            width,
        )
    if receipt.proxy_masked:
        ops += _field("代领人", receipt.proxy_masked, width)
    if receipt.card_balance_after is not None:
        if receipt.kind == "refund":
            label = "退款后卡内余额"
        elif receipt.reprint:
            label = "卡内余额（销售时）"
        else:
            label = "卡内余额"
        ops += columns(label, money(receipt.card_balance_after), width, bold=True)
    if receipt.clothing_used is not None:
        left = "" if receipt.clothing_left is None else f"，剩余 {receipt.clothing_left} 件"
        ops += _field("本季度衣物", f"已领 {receipt.clothing_used} 件{left}", width)
    return ops


def layout_receipt(receipt: Receipt, *, width: int, tz: tzinfo) -> Layout:
    """A sale receipt or a refund slip."""
    refund = receipt.kind == "refund"
    ops: list[Op] = _header(
        receipt.store_name,
        "退货单" if refund else None,
        width,
        reprint=receipt.reprint,
        reprinted_at=fmt_at(receipt.reprinted_at, tz) if receipt.reprinted_at else None,
        details=(
            receipt.store_address,
            f"电话：{receipt.store_phone}" if receipt.store_phone else "",
            f"营业时间：{receipt.store_hours}" if receipt.store_hours else "",
        ),
    )
    ops += _field("时间", fmt_at(receipt.at, tz), width)
    ops += columns(clean(f"终端：{receipt.terminal}"), clean(f"收银员：{receipt.cashier}"), width)
    ops += _field("退货单号" if refund else "单号", receipt.number, width)
    if refund and receipt.original_number:
        ops += _field("原销售单号", receipt.original_number, width)
    ops.append(rule(width))
    for line in receipt.lines:
        ops += _goods_line(line, width, charity=receipt.card_sale)
    ops.append(rule(width))
    ops += _refund_totals(receipt, width) if refund else _sale_totals(receipt, width)
    card_part = _card_block(receipt, width)
    if card_part:
        ops += [rule(width), *card_part]
    if receipt.reprint and receipt.later_refunds and not refund:
        ops += [
            Text(p, bold=True)
            for p in wrap(f"本单已退货 {receipt.later_refunds} 笔，请以退货单为准", width)
        ]
    ops.append(rule(width))
    if not refund and barcode_text(receipt.number):
        ops.append(Barcode(receipt.number))
    if receipt.qr_url:
        ops.append(Qr(receipt.qr_url))
        ops += centred("扫码查看卡内余额", width)
    if receipt.footer:
        ops += centred(receipt.footer, width)
    ops.append(Cut())
    if receipt.opens_drawer:
        ops.append(Drawer())
    return Layout(width, tuple(ops))


def layout_zreport(report: ZReport, *, width: int, tz: tzinfo) -> Layout:
    """An X or Z shift report: the same engine, label and amount rows."""
    title = "X 报表（当班）" if report.report == "X" else "Z 报表（交班）"
    ops: list[Op] = _header(report.store_name, title, width, reprint=report.reprint)
    ops += columns(clean(f"终端：{report.terminal}"), clean(f"收银员：{report.cashier}"), width)
    ops += _field("班次", report.shift_number, width)
    ops += _field("开班", fmt_at(report.opened_at, tz), width)
    if report.closed_at is not None:
        ops += _field("交班", fmt_at(report.closed_at, tz), width)
    if report.at is not None:
        ops += _field("打印", fmt_at(report.at, tz), width)
    ops.append(rule(width))
    rows: list[tuple[str, str, bool]] = [
        ("销售笔数", str(report.sales_count), False),
        ("标价合计", money(report.list_total), False),
        ("慈善优惠", money(-report.discount_total), False),
        ("卡支付", money(report.card_total), False),
        ("现金收入", money(report.cash_total), False),
        *([("扫码收款", money(report.qr_total), False)] if report.qr_total else []),
        ("退货", f"{report.refunds_count} 笔 {money(report.refunds_total)}", False),
        ("作废", f"{report.voids_count} 笔", False),
        ("衣物领取", f"{report.clothing_items} 件", False),
        ("备用金", money(report.opening_float), False),
        ("应有现金", money(report.expected_cash), True),
    ]
    if report.uncounted:
        rows.append(("实点现金", "未清点", True))
    if report.counted_cash is not None:
        rows.append(("实点现金", money(report.counted_cash), True))
    if report.variance is not None:
        rows.append(("差额", money(report.variance), True))
    for label, value, bold in rows:
        ops += columns(label, value, width, bold=bold)
    if report.reason:
        ops += _field("原因" if report.uncounted else "差额原因", report.reason, width)
    if report.seal:  # never broken across lines: an auditor copies it
        sealed = clean(f"账本封印：{report.seal}")
        if width_of(sealed) <= width:
            ops.append(Text(sealed))
        else:
            ops += [Text("账本封印："), Text(cut(clean(report.seal), width))]
    ops.append(rule(width))
    ops += [Text("交班人签字："), Feed(1), Text("店长签字："), Feed(1)]
    if report.footer:
        ops += centred(report.footer, width)
    ops.append(Cut())
    return Layout(width, tuple(ops))


def layout_slip(slip: Slip, *, width: int, tz: tzinfo) -> Layout:
    ops: list[Op] = _header(slip.store_name, slip.title, width, reprint=slip.reprint)
    if slip.terminal:
        ops += _field("终端", slip.terminal, width)
    if slip.at is not None:
        ops += _field("时间", fmt_at(slip.at, tz), width)
    ops.append(rule(width))
    for label, value in slip.rows:
        ops += columns(clean(label), clean(value), width)
    if slip.footer:
        ops += centred(slip.footer, width)
    ops.append(Cut())
    return Layout(width, tuple(ops))


def layout_document(document: Document, *, width: int, tz: tzinfo) -> Layout:
    """Any document, at `width` columns (32 or 48), times shown in `tz`."""
    if isinstance(document, Receipt):
        return layout_receipt(document, width=width, tz=tz)
    if isinstance(document, ZReport):
        return layout_zreport(document, width=width, tz=tz)
    return layout_slip(document, width=width, tz=tz)
