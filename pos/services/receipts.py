"""What the counter prints: receipt, refund slip and shift report documents made from the rows,
queued with the sale, the refund or the close (same transaction) and delivered after it
committed; and reprints of a sale's receipt.

People are named on paper by their display name (the cashier's name, not the login), holders
and proxies masked; a card's balance is the one after the sale or after the refund, as the
ledger had it then."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.hooks import ClothingAllowance
from cards.models import LedgerTransaction, Posting
from cards.services.cards import qr_url
from cards.services.text import mask_name
from core.auth import Actor, StaffUser
from core.config import Settings
from core.money import Money
from pos.models import MILLI, Refund, Sale, Shift
from pos.printing.document import Document, Receipt, ReceiptLine, ZReport
from pos.printing.models import PrintJob
from pos.printing.services import jobs
from pos.services.sales import get_sale
from pos.services.totals import shift_totals


def staff_name(session: Session, user_id: int | None, recorded: str) -> str:
    """How a staff member is named on paper: the account's display name, else the name the row
    recorded (the login, or `cli:...` for the command line)."""
    user = session.get(StaffUser, user_id) if user_id is not None else None
    return user.display_name if user is not None and user.display_name else recorded


def staff_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """The display names of these staff accounts, in one query, for a list page: a row shows
    `names.get(row.actor_id, row.actor_name)` (accounts without a display name are left out)."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return {}
    users = session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))
    return {u.id: u.display_name for u in users if u.display_name}


def balance_after_refund(session: Session, refund: Refund) -> Money | None:
    """The card's balance right after `refund` (None for a sale without a card): the sum of the
    wallet's postings up to the refund's ledger transaction, or up to its time when no money went
    back to the card."""
    account_id = refund.sale.account_id
    if account_id is None:
        return None
    query = (
        select(func.coalesce(func.sum(Posting.amount_fen), 0))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(Posting.account_id == account_id)
    )
    if refund.ledger_txn_id is not None:
        seq = select(LedgerTransaction.seq).where(LedgerTransaction.id == refund.ledger_txn_id)
        query = query.where(LedgerTransaction.seq <= seq.scalar_subquery())
    else:
        query = query.where(LedgerTransaction.at <= refund.at)
    return Money(int(session.scalar(query) or 0))


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
        store_phone=settings.store.phone,
        store_hours=settings.store.hours,
        terminal=sale.terminal,
        cashier=staff_name(session, sale.actor_id, sale.actor_name),
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
                weighed=line.weighed,
            )
            for line in sale.lines
        ),
        list_total=Money(sale.list_total_fen),
        discount_total=Money(sale.discount_total_fen),
        total=Money(sale.total_fen),
        paid_card=Money(sale.paid_card_fen),
        paid_cash=Money(sale.paid_cash_fen),
        paid_qr=Money(sale.paid_qr_fen),
        qr_reference=sale.qr_reference,
        change=Money(sale.change_fen),
        card_balance_after=(
            Money(sale.card_balance_after_fen) if sale.card_balance_after_fen is not None else None
        ),
        holder_masked=sale.holder_masked,
        proxy_masked=mask_name(sale.proxy_name) if sale.proxy_name else None,
        card_tail=card.card_no[-4:] if card else None,
        clothing_used=used if card else None,
        clothing_left=left if card else None,
        qr_url=qr_url(settings.balance_page.base_url, card.qr_token) if card else None,
        footer=settings.printer.footer,
    )


def refund_slip(session: Session, refund: Refund, *, settings: Settings) -> Receipt:
    """The 退货单 of a refund or void: the returned lines (their list total, their charity total),
    the money returned by tender, the card's tail and its balance after the refund."""
    sale = refund.sale
    lines: list[ReceiptLine] = []
    list_total = Money.zero()
    for rl in refund.lines:
        sold = rl.sale_line
        if rl.qty_milli == sold.qty_milli:
            listed = Money(sold.list_total_fen)
        else:
            listed = Money(sold.list_total_fen).multiply(Decimal(rl.qty_milli) / sold.qty_milli)
        list_total += listed
        lines.append(
            ReceiptLine(
                name=sold.name,
                qty=Decimal(rl.qty_milli) / MILLI,
                unit=sold.unit,
                unit_price=Money(sold.unit_price_fen),
                unit_list=Money(sold.unit_list_fen),
                total=Money(rl.amount_fen),
                clothing=sold.clothing,
                weighed=sold.weighed,
            )
        )
    total = refund.total
    card = sale.card
    return Receipt(
        kind="refund",
        store_name=settings.store.name,
        store_address=settings.store.address,
        store_phone=settings.store.phone,
        store_hours=settings.store.hours,
        terminal=sale.terminal,
        cashier=staff_name(session, refund.actor_id, refund.actor_name),
        number=refund.refund_no,
        at=refund.at,
        lines=tuple(lines),
        list_total=list_total,
        discount_total=list_total - total,
        total=total,
        paid_card=Money(refund.card_fen),
        paid_cash=Money(refund.cash_fen),
        paid_qr=Money(refund.qr_fen),
        change=Money.zero(),
        card_balance_after=balance_after_refund(session, refund),
        holder_masked=sale.holder_masked,
        card_tail=card.card_no[-4:] if card else None,
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
        cashier=staff_name(session, shift.cashier_id, shift.cashier_name),
        shift_number=f"Z{shift.z_number:05d}" if closed and shift.z_number else f"班次{shift.id}",
        opened_at=shift.opened_at,
        closed_at=shift.closed_at,
        sales_count=totals.sales_count,
        list_total=totals.list_total,
        discount_total=totals.discount_total,
        card_total=totals.card_total,
        cash_total=totals.cash_total,
        qr_total=totals.qr_total,
        refunds_total=totals.refunds_total,
        refunds_count=totals.refunds_count,
        voids_count=totals.voids_count,
        clothing_items=totals.clothing_items,
        opening_float=totals.opening_float,
        expected_cash=totals.expected_cash,
        counted_cash=Money(shift.counted_cash_fen) if shift.counted_cash_fen is not None else None,
        variance=Money(shift.variance_fen) if shift.variance_fen is not None else None,
        reason=shift.variance_reason or None,
        seal=shift.z_seal if closed else None,
        uncounted=closed and shift.counted_cash_fen is None,
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
        refund_slip(session, refund, settings=settings),
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
    """Queue a copy of a sale's receipt (flushes only): the receipt as printed at the sale (its
    balance is the balance then), marked 重打（副本）with the time of the copy and, when the sale
    was refunded since, how many refunds to read with it. NotFound for an unknown sale or one
    without a receipt."""
    sale = get_sale(session, sale_no)
    refunds = len(sale.refunds)

    def amend(document: Document) -> Document:
        if isinstance(document, Receipt):
            return replace(document, later_refunds=refunds)
        return document

    return jobs.reprint(session, sale.sale_no, at=at, actor=actor, kind="receipt", amend=amend)
