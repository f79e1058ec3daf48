"""The demo loads the sample intake and one give-away event through the package's services."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clothing_exchange import demo
from clothing_exchange.models import ClothingEvent
from core.config import Settings
from inventory.models import Product
from tests.conftest import shanghai


def test_demo_loads_the_sample_intake(session: Session, settings: Settings) -> None:
    lines = demo.load(session, settings, at=shanghai(2026, 11, 29, 10))
    session.commit()
    assert "4011 件" in lines[0]
    total = session.scalar(select(func.sum(Product.stock_milli)).where(Product.clothing))
    assert total == 4011 * 1000
    assert session.scalar(select(func.count()).select_from(ClothingEvent)) == 1
