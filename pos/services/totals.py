"""A shift's takings: the X report's figures (what the shift took so far, and the cash the
drawer should hold), frozen into the Z report at the close."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.money import Money
from pos.models import Refund, Sale, Shift

# A shift report as JSON (the X report's figures, or the frozen Z report): amounts as text,
# counts as integers, and for a Z report who closed it, when, and the count's variance.
ReportFigures = dict[str, str | int]


@dataclass(frozen=True)
class ShiftTotals:
    sales_count: int
    list_total: Money
    discount_total: Money
    total: Money
    card_total: Money
    cash_total: Money  # cash kept: tendered minus change
    refunds_count: int
    voids_count: int
    refunds_total: Money
    card_refunds: Money
    cash_refunds: Money
    clothing_items: int
    opening_float: Money
    expected_cash: Money
    qr_total: Money  # the recorded QR tender: never in the drawer
    qr_refunds: Money

    def to_json(self) -> ReportFigures:
        # not asdict(): it would turn each Money (a dataclass) into {"fen": n}
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: (str(v) if isinstance(v, Money) else int(v)) for k, v in values.items()}


def shift_totals(session: Session, shift: Shift) -> ShiftTotals:
    """The X report: what this shift took so far, and the cash the drawer should hold."""
    row = session.execute(
        select(
            func.count(Sale.id),
            func.coalesce(func.sum(Sale.list_total_fen), 0),
            func.coalesce(func.sum(Sale.discount_total_fen), 0),
            func.coalesce(func.sum(Sale.total_fen), 0),
            func.coalesce(func.sum(Sale.paid_card_fen), 0),
            func.coalesce(func.sum(Sale.paid_cash_fen - Sale.change_fen), 0),
            func.coalesce(func.sum(Sale.clothing_items), 0),
            func.coalesce(func.sum(Sale.paid_qr_fen), 0),
        ).where(Sale.shift_id == shift.id)
    ).one()
    refunds = session.execute(
        select(
            func.count(Refund.id).filter(Refund.kind == "refund"),
            func.count(Refund.id).filter(Refund.kind == "void"),
            func.coalesce(func.sum(Refund.card_fen), 0),
            func.coalesce(func.sum(Refund.cash_fen), 0),
            func.coalesce(func.sum(Refund.clothing_items), 0),
            func.coalesce(func.sum(Refund.qr_fen), 0),
        ).where(Refund.shift_id == shift.id)
    ).one()
    cash_in = Money(int(row[5]))
    cash_out = Money(int(refunds[3]))
    return ShiftTotals(
        sales_count=int(row[0]),
        list_total=Money(int(row[1])),
        discount_total=Money(int(row[2])),
        total=Money(int(row[3])),
        card_total=Money(int(row[4])),
        cash_total=cash_in,
        refunds_count=int(refunds[0]),
        voids_count=int(refunds[1]),
        refunds_total=Money(int(refunds[2]) + int(refunds[3]) + int(refunds[5])),
        card_refunds=Money(int(refunds[2])),
        cash_refunds=cash_out,
        clothing_items=int(row[6]) - int(refunds[4]),
        opening_float=shift.opening_float,
        expected_cash=shift.opening_float + cash_in - cash_out,
        qr_total=Money(int(row[7])),
        qr_refunds=Money(int(refunds[5])),
    )


def report_figures(session: Session, shift: Shift) -> ReportFigures:
    """A shift's report: the frozen Z report once closed, else the X report of the moment."""
    if shift.z_report:
        return dict(shift.z_report)
    return shift_totals(session, shift).to_json()
