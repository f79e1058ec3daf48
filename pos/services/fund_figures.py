"""The card-sale figures of the fund statement, from the counter's records (handed to cards as
its `sales_figures` hook by `pos.app.build_hooks`): per store the card money taken and returned
and the number of card sales; over all stores the card sales (less voids), the distinct accounts
among them, and the charity discount given (list minus charity price) net of refunds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.hooks import SalesFigures, StoreSales
from core.money import Money
from core.stores import Store
from pos.models import Refund, RefundLine, Sale, SaleLine


def _store_code(session: Session) -> str:
    """The store the sales belong to: sales carry no store yet (issue [12]), so the first."""
    code = session.scalar(select(Store.code).order_by(Store.code).limit(1))
    return code or "01"


def sales_figures(session: Session, start: datetime, end: datetime) -> SalesFigures:
    """Card sales between two instants (end exclusive) and the refunds made then."""
    card_sale = Sale.account_id.is_not(None)
    in_period = (Sale.at >= start) & (Sale.at < end)
    sold = session.execute(
        select(
            func.count(Sale.id),
            func.coalesce(func.sum(Sale.paid_card_fen), 0),
            func.coalesce(func.sum(Sale.discount_total_fen), 0),
        ).where(card_sale, in_period)
    ).one()
    voided = (
        select(Refund.sale_id)
        .where(Refund.kind == "void", Refund.at >= start, Refund.at < end)
        .scalar_subquery()
    )
    kept = select(Sale.id, Sale.account_id).where(card_sale, in_period, Sale.id.not_in(voided))
    counted = kept.subquery()
    purchases = session.scalar(select(func.count()).select_from(counted)) or 0
    shoppers = session.scalar(select(func.count(func.distinct(counted.c.account_id)))) or 0
    refund_period = (Refund.at >= start) & (Refund.at < end)
    refunded_card = session.scalar(
        select(func.coalesce(func.sum(Refund.card_fen), 0))
        .join(Sale, Sale.id == Refund.sale_id)
        .where(card_sale, refund_period)
    )
    discount_back = 0
    rows = session.execute(
        select(
            SaleLine.list_total_fen, SaleLine.qty_milli, RefundLine.qty_milli, RefundLine.amount_fen
        )
        .join(RefundLine, RefundLine.sale_line_id == SaleLine.id)
        .join(Refund, Refund.id == RefundLine.refund_id)
        .join(Sale, Sale.id == Refund.sale_id)
        .where(card_sale, refund_period)
    )
    for list_total, qty, back_qty, back_fen in rows:
        share = (
            Money(list_total)
            if back_qty >= qty
            else Money(list_total).multiply(Decimal(back_qty) / Decimal(qty))
        )
        discount_back += share.fen - back_fen
    _, spent, discount = sold
    store = StoreSales(int(spent), int(refunded_card or 0), int(purchases))
    return SalesFigures(
        purchases=int(purchases),
        shoppers=int(shoppers),
        charity_discount_fen=int(discount) - discount_back,
        stores={_store_code(session): store},
    )
