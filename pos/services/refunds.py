"""Refunds and voids: money back to the tenders that paid (the card first, up to what it paid,
then the QR tender, up to what it paid, then cash), goods back to stock, clothing allowance back to the quarter; never more than was paid.
Refunds of a line add up to exactly what the line cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.services import ledger
from clothing_exchange.services import release_claims
from core import audit
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, ValidationError
from core.keys import DataKeys
from core.money import Money
from core.periods import local_date
from inventory.models import Product
from inventory.services.stock import record_movement
from pos.models import MILLI, Refund, RefundLine, Sale, SaleLine, Shift
from pos.printing.models import PrintJob
from pos.services.checkout import LineRequest, qty_milli
from pos.services.receipts import queue_refund_slip
from pos.services.sales import get_sale
from pos.services.shifts import is_stale, shift_for_work


@dataclass(frozen=True)
class RefundRequest:
    reason: str
    lines: Sequence[LineRequest] | None = None  # None: everything not yet refunded
    void: bool = False
    # made without the receipt (the sale found from the card, or among today's public sales):
    # a public sale's refund is then capped by `counter.receiptless_cash_limit`
    receiptless: bool = False


@dataclass(frozen=True)
class RefundResult:
    """The refund made, the card's balance after it (None for a sale without a card) and the
    refund slip queued with it."""

    refund: Refund
    card_balance: Money | None
    slip: PrintJob


def _remaining_milli(line: SaleLine) -> int:
    return line.qty_milli - line.refunded_milli


def _line_amount(line: SaleLine, milli: int) -> Money:
    """What `milli` thousandths of a line are worth: proportional, half up; the last units take
    whatever is left, so the refunds of a line add up to exactly what was paid for it."""
    left = line.total_fen - line.refunded_fen
    if milli == _remaining_milli(line):
        return Money(left)
    share = Money(line.total_fen).multiply(Decimal(milli) / Decimal(line.qty_milli))
    return Money(min(share.fen, left))


def _allocate(sale: Sale, request: RefundRequest) -> list[tuple[SaleLine, int]]:
    if request.lines is None:
        everything = [(line, _remaining_milli(line)) for line in sale.lines]
        everything = [(line, milli) for line, milli in everything if milli]
        if not everything:
            raise Conflict(f"销售单 {sale.sale_no} 已全部退货")
        return everything
    if not request.lines:
        raise ValidationError("退货行为空：不填 lines 表示整单退货")
    wanted: dict[str, int] = {}
    for index, item in enumerate(request.lines, start=1):
        if item.qty is not None and item.qty <= 0:
            raise ValidationError(f"第 {index} 行：退货数量必须大于零")
        qty = item.qty if item.qty is not None else Decimal(1)
        wanted[item.barcode] = wanted.get(item.barcode, 0) + qty_milli(qty)
    picks: list[tuple[SaleLine, int]] = []
    for barcode, milli in wanted.items():
        candidates = [line for line in sale.lines if line.barcode == barcode]
        if not candidates:
            raise ValidationError(f"销售单 {sale.sale_no} 中没有条码为 {barcode} 的商品")
        available = sum(_remaining_milli(line) for line in candidates)
        if milli > available:
            raise ValidationError(
                f"条码 {barcode} 最多还能退 {Decimal(available) / MILLI:f}，"
                f"本次要退 {Decimal(milli) / MILLI:f}"
            )
        for line in candidates:
            take = min(milli, _remaining_milli(line))
            if take:
                picks.append((line, take))
                milli -= take
    return picks


def refund(
    session: Session,
    sale_no: str,
    request: RefundRequest,
    *,
    at: datetime,
    actor: Actor,
    settings: Settings,
    keys: DataKeys,
    address: str = "",
) -> RefundResult:
    """Return money to the same tenders (card first, up to what the card paid, then cash), goods
    to stock and clothing allowance to the quarter, and queue the refund slip. Never more than was
    paid. A void is a whole refund of a sale of the same business day whose shift is still open;
    later it is a refund (Conflict saying so). Logged (`refund`, a void too) in the caller's
    transaction."""
    reason = request.reason.strip()
    if not reason:
        raise ValidationError("退货必须填写原因")
    sale = get_sale(session, sale_no)
    if request.void:
        if sale.refunds:
            raise Conflict(f"销售单 {sale.sale_no} 已有退货，不能作废")
        if sale.shift.status != "open":
            raise Conflict(f"销售单 {sale.sale_no} 所在班次已交班，只能退货不能作废")
        sold_on = local_date(sale.at, settings.tz)
        if sold_on != local_date(at, settings.tz) or is_stale(sale.shift, at=at, tz=settings.tz):
            raise Conflict(
                f"销售单 {sale.sale_no} 是 {sold_on:%Y-%m-%d} 的销售，作废只限当班当天：请改为退货"
            )
        if request.lines is not None:
            raise ValidationError("作废是整单的：不要填写 lines")
    picks = _allocate(sale, request)
    amounts = [(line, milli, _line_amount(line, milli)) for line, milli in picks]
    total = sum((amount for _, _, amount in amounts), Money.zero())
    if request.receiptless and sale.card_id is None:
        _check_receiptless(sale, total, at=at, settings=settings)
    card_refunded = sum(r.card_fen for r in sale.refunds)
    card_part = Money(min(total.fen, sale.paid_card_fen - card_refunded))
    # then the QR tender, up to what it paid: refunds go back the way the money came
    qr_refunded = sum(r.qr_fen for r in sale.refunds)
    qr_part = Money(min((total - card_part).fen, sale.paid_qr_fen - qr_refunded))
    cash_part = total - card_part - qr_part
    shift = _refund_shift(session, sale, actor=actor, at=at, tz=settings.tz)
    number = len(sale.refunds) + 1
    record = Refund(
        refund_no=f"{sale.sale_no}-R{number}",
        sale_id=sale.id,
        shift_id=shift.id,
        kind="void" if request.void else "refund",
        at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
        reason=reason,
        card_fen=card_part.fen,
        cash_fen=cash_part.fen,
        qr_fen=qr_part.fen,
    )
    session.add(record)
    clothing_back = 0
    # In product order, like checkout (see there): no deadlock between concurrent sales/refunds.
    for line, milli, amount in sorted(amounts, key=lambda a: (a[0].product_id, a[0].id)):
        line.refunded_milli += milli
        line.refunded_fen += amount.fen
        record.lines.append(
            RefundLine(sale_line_id=line.id, qty_milli=milli, amount_fen=amount.fen)
        )
        product = session.get(Product, line.product_id)
        assert product is not None  # a sale line's product is never deleted (FK)
        qty = Decimal(milli) / MILLI
        record_movement(
            session,
            product,
            qty,
            "refund",
            at=at,
            actor=actor,
            reference=record.refund_no,
            reason=reason,
        )
        if line.clothing:
            clothing_back += release_claims(
                session,
                sale_no=sale.sale_no,
                product_id=line.product_id,
                qty=int(qty),
                at=at,
                actor=actor,
            )
    record.clothing_items = clothing_back
    session.flush()
    if card_part and sale.account_id is not None:
        record.ledger_txn_id = ledger.credit_refund(
            session,
            sale.account_id,
            card_part,
            sale_no=sale.sale_no,
            refund_no=record.refund_no,
            at=at,
            tz=settings.tz,
            actor=actor,
            keys=keys,
        )
    session.flush()
    slip = queue_refund_slip(session, record, settings=settings, at=at, actor=actor)
    audit.record(
        session,
        "refund",
        actor=actor,
        at=at,
        subject=f"sale:{sale.sale_no}",
        detail={
            "refund_no": record.refund_no,
            "kind": record.kind,
            "total": str(total),
            "card": str(card_part),
            "cash": str(cash_part),
            "qr": str(qr_part),
            "reason": reason,
            "receiptless": request.receiptless,
        },
        address=address,
    )
    balance = None if sale.account_id is None else ledger.balance(session, sale.account_id)
    return RefundResult(record, balance, slip)


def _check_receiptless(sale: Sale, total: Money, *, at: datetime, settings: Settings) -> None:
    """A public sale refunded without its receipt: only on the day it was made, and never more
    than `counter.receiptless_cash_limit` of it in all (earlier refunds count)."""
    sold_on = local_date(sale.at, settings.tz)
    if sold_on != local_date(at, settings.tz):
        raise ValidationError(
            f"销售单 {sale.sale_no} 是 {sold_on:%Y-%m-%d} 的无卡销售：无小票退货只限当天，请凭小票办理"
        )
    limit = settings.counter.receiptless_cash_limit
    before = Money(sum(r.total.fen for r in sale.refunds))
    if before + total > limit:
        already = f"（此单已退 {before}）" if before else ""
        raise ValidationError(
            f"无小票退货每笔销售最多退 {limit}：销售单 {sale.sale_no} 本次 {total}{already}"
            "超过限额，请凭小票办理"
        )


def _refund_shift(session: Session, sale: Sale, *, actor: Actor, at: datetime, tz: tzinfo) -> Shift:
    """Cash comes out of a drawer of today: the sale's shift while open (and of today), else
    the open shift of the same terminal, else the acting supervisor's own (opened with a zero
    float). A shift of an earlier business day never takes a refund."""
    if sale.shift.status == "open" and not is_stale(sale.shift, at=at, tz=tz):
        return sale.shift
    same_terminal = session.scalars(
        select(Shift)
        .where(Shift.terminal == sale.terminal, Shift.status == "open")
        .order_by(Shift.id.desc())
    )
    for shift in same_terminal:
        if not is_stale(shift, at=at, tz=tz):
            return shift
    return shift_for_work(session, actor=actor, terminal=sale.terminal, at=at, tz=tz)
