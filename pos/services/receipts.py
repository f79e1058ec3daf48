"""What the counter prints: receipt, refund slip and shift report documents made from the rows,
queued with the sale, the refund or the close (same transaction) and delivered after it
committed; and reprints of a sale's receipt."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from cards.hooks import ClothingAllowance
from cards.services.cards import qr_url
from core.auth import Actor
from core.config import Settings
from core.money import Money
from pos.models import MILLI, Refund, Sale, Shift
from pos.printing.document import Receipt, ReceiptLine, ZReport
from pos.printing.models import PrintJob
from pos.printing.services import jobs
from pos.services.sales import get_sale
from pos.services.totals import shift_totals


def clothing_left(
    session: Session, sale: Sale, *, at: datetime, allowance: ClothingAllowance | None
) -> tuple[int, int]:
    """(used, left) of the card holder's quarter after this sale."""
    if sale.beneficiary_id is None or allowance is None:
        return 0, 0
    status = allowance(session, sale.beneficiary_id, at)
    return status.used, max(status.allowed - status.used, 0)


def sale_receipt(
    session: Session,
    sale: Sale,
    *,
    settings: Settings,
    at: datetime,
    allowance: ClothingAllowance | None,
) -> Receipt:
    """The receipt of a sale: lines with list and charity price, tenders, and for a card sale the
    masked holder, the balance after and the quarter's clothing."""
    card = sale.card
    used, left = clothing_left(session, sale, at=at, allowance=allowance)
    return Receipt(
        kind="sale",
        store_name=settings.store.name,
        store_address=settings.store.address,
        terminal=sale.terminal,
        cashier=sale.actor_name,
        number=sale.sale_no,
        at=sale.at,
        lines=tuple(
            ReceiptLine(
                name=line.name,
                qty=Decimal(line.qty_milli) / MILLI,
                unit=line.unit,
                unit_price=Money(line.unit_price_fen),
                unit_list=Money(line.unit_list_fen),
                total=Money(line.total_fen),
                clothing=line.clothing,
            )
            for line in sale.lines
        ),
        list_total=Money(sale.list_total_fen),
        discount_total=Money(sale.discount_total_fen),
        total=Money(sale.total_fen),
        paid_card=Money(sale.paid_card_fen),
        paid_cash=Money(sale.paid_cash_fen),
        change=Money(sale.change_fen),
        card_balance_after=(
            Money(sale.card_balance_after_fen) if sale.card_balance_after_fen is not None else None
        ),
        holder_masked=sale.holder_masked,
        card_tail=card.card_no[-4:] if card else None,
        clothing_used=used if card else None,
        clothing_left=left if card else None,
        qr_url=qr_url(settings.balance_page.base_url, card.qr_token) if card else None,
        footer=settings.printer.footer,
    )


def refund_slip(refund: Refund, *, settings: Settings) -> Receipt:
    """The 退货单 of a refund or void: what went back, and the money returned by tender."""
    sale = refund.sale
    lines = tuple(
        ReceiptLine(
            name=rl.sale_line.name,
            qty=Decimal(rl.qty_milli) / MILLI,
            unit=rl.sale_line.unit,
            unit_price=Money(rl.sale_line.unit_price_fen),
            unit_list=Money(rl.sale_line.unit_list_fen),
            total=Money(rl.amount_fen),
            clothing=rl.sale_line.clothing,
        )
        for rl in refund.lines
    )
    total = Money(refund.card_fen + refund.cash_fen)
    return Receipt(
        kind="refund",
        store_name=settings.store.name,
        store_address=settings.store.address,
        terminal=sale.terminal,
        cashier=refund.actor_name,
        number=refund.refund_no,
        at=refund.at,
        lines=lines,
        list_total=total,
        discount_total=Money.zero(),
        total=total,
        paid_card=Money(refund.card_fen),
        paid_cash=Money(refund.cash_fen),
        change=Money.zero(),
        holder_masked=sale.holder_masked,
        reason=refund.reason,
        footer=settings.printer.footer,
        original_number=sale.sale_no,
    )


def shift_report(session: Session, shift: Shift, *, settings: Settings, at: datetime) -> ZReport:
    """The X report of an open shift, or the Z report of a closed one."""
    totals = shift_totals(session, shift)
    closed = shift.status == "closed"
    return ZReport(
        store_name=settings.store.name,
        terminal=shift.terminal,
        cashier=shift.cashier_name,
        shift_number=f"Z{shift.z_number:05d}" if closed and shift.z_number else f"班次{shift.id}",
        opened_at=shift.opened_at,
        closed_at=shift.closed_at,
        sales_count=totals.sales_count,
        list_total=totals.list_total,
        discount_total=totals.discount_total,
        card_total=totals.card_total,
        cash_total=totals.cash_total,
        refunds_total=totals.refunds_total,
        refunds_count=totals.refunds_count,
        voids_count=totals.voids_count,
        clothing_items=totals.clothing_items,
        opening_float=totals.opening_float,
        expected_cash=totals.expected_cash,
        counted_cash=Money(shift.counted_cash_fen) if shift.counted_cash_fen is not None else None,
        variance=Money(shift.variance_fen) if shift.variance_fen is not None else None,
        reason=shift.variance_reason or None,
        report="Z" if closed else "X",
        at=at,
        footer=settings.printer.footer,
    )


def queue_sale_receipt(
    session: Session,
    sale: Sale,
    *,
    settings: Settings,
    at: datetime,
    actor: Actor,
    allowance: ClothingAllowance | None,
) -> PrintJob:
    """Queue a new sale's receipt (flushes only)."""
    return jobs.enqueue(
        session,
        sale_receipt(session, sale, settings=settings, at=at, allowance=allowance),
        reference=sale.sale_no,
        at=at,
        actor=actor,
    )


def queue_refund_slip(
    session: Session, refund: Refund, *, settings: Settings, at: datetime, actor: Actor
) -> PrintJob:
    """Queue a refund's slip (flushes only)."""
    return jobs.enqueue(
        session,
        refund_slip(refund, settings=settings),
        reference=refund.refund_no,
        at=at,
        actor=actor,
    )


def queue_shift_report(
    session: Session, shift: Shift, *, settings: Settings, at: datetime, actor: Actor
) -> PrintJob:
    """Queue a shift's X or Z report (flushes only)."""
    document = shift_report(session, shift, settings=settings, at=at)
    return jobs.enqueue(session, document, reference=document.shift_number, at=at, actor=actor)


def reprint_sale_receipt(session: Session, sale_no: str, *, at: datetime, actor: Actor) -> PrintJob:
    """Queue a copy of a sale's receipt, marked 重打（副本）(flushes only); NotFound for an unknown
    sale or one without a receipt."""
    sale = get_sale(session, sale_no)
    return jobs.reprint(session, sale.sale_no, at=at, actor=actor, kind="receipt")
