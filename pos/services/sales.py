"""Finding sales: by number, by the client's reference, by the day they were made."""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound
from pos.models import Sale


def get_sale(session: Session, sale_no: str) -> Sale:
    """A sale by its number, or NotFound."""
    sale = session.scalar(select(Sale).where(Sale.sale_no == sale_no.strip()))
    if sale is None:
        raise NotFound(f"未找到销售单 {sale_no}")
    return sale


def sale_by_ref(session: Session, client_ref: str) -> Sale | None:
    """The sale made for a client reference, if any."""
    return session.scalar(select(Sale).where(Sale.client_ref == client_ref))


def sales_of_day(session: Session, day: date, *, tz: tzinfo) -> list[Sale]:
    """The sales of one calendar day in store time, newest first."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = start + timedelta(days=1)
    query = select(Sale).where(Sale.at >= start, Sale.at < end).order_by(Sale.id.desc())
    return list(session.scalars(query))


RECENT_SALES = 10


def recent_sales_of_account(
    session: Session, account_id: int, *, limit: int = RECENT_SALES
) -> list[Sale]:
    """A card holder's latest sales (under any of the account's cards), newest first: a return
    without the receipt is found from here."""
    query = select(Sale).where(Sale.account_id == account_id).order_by(Sale.id.desc()).limit(limit)
    return list(session.scalars(query))


RECENT_PUBLIC_SALES = 20


def recent_public_sales(
    session: Session, day: date, *, tz: tzinfo, limit: int = RECENT_PUBLIC_SALES
) -> list[Sale]:
    """The latest sales without a card of one business day in store time, newest first: a
    return of a public (cash) sale without its receipt is found from here."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    end = start + timedelta(days=1)
    query = (
        select(Sale)
        .where(Sale.card_id.is_(None), Sale.at >= start, Sale.at < end)
        .order_by(Sale.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
