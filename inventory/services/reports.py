"""What the stock reports and the shelf-label sheet read: products at or below their reorder
level, products below zero, and the products received on a day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Product, StockMovement


def low_stock(session: Session) -> Sequence[Product]:
    """Active products at or below their reorder level (those with a level set)."""
    return session.scalars(
        select(Product)
        .where(
            Product.active.is_(True),
            Product.reorder_level_milli > 0,
            Product.stock_milli <= Product.reorder_level_milli,
        )
        .order_by(Product.category, Product.name)
    ).all()


def negative_stock(session: Session) -> Sequence[Product]:
    """Products the system thinks are below zero (sold before they were received or counted)."""
    return session.scalars(
        select(Product).where(Product.stock_milli < 0).order_by(Product.stock_milli)
    ).all()


def received_between(session: Session, start: datetime, end: datetime) -> Sequence[Product]:
    """Products with a receipt movement in [start, end)."""
    ids = select(StockMovement.product_id).where(
        StockMovement.kind == "receipt", StockMovement.at >= start, StockMovement.at < end
    )
    return session.scalars(
        select(Product).where(Product.id.in_(ids)).order_by(Product.category, Product.name)
    ).all()


def local_day(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants [start, end) of a calendar day in the store's timezone."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
