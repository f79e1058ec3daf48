"""Recording intake: the sample file becomes clothing stock through inventory movements, a file
imported twice changes nothing, a changed batch or a bad row refuses the whole file."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clothing_exchange.models import ClothingIntakeBatch, ClothingProduct
from clothing_exchange.services.intake import plan_intake, record_intake
from clothing_exchange.services.intake_file import parse_intake
from clothing_exchange.services.stock import clothing_stock
from core.config import Settings
from core.errors import ValidationError
from inventory.models import Product, StockMovement
from inventory.services.stock import verify_stock
from tests.clothing_exchange.conftest import ACTOR, SAMPLE, sample
from tests.conftest import shanghai

AT = shanghai(2026, 8, 1, 9, 0)


def stock_total(session: Session) -> int:
    return int(session.scalar(select(func.sum(Product.stock_milli)).where(Product.clothing)) or 0)


def test_intake_from_the_sample_file_fills_clothing_stock(
    session: Session, settings: Settings
) -> None:
    plan = record_intake(session, sample(settings), at=AT, actor=ACTOR, settings=settings)
    session.commit()
    assert (len(plan.new), plan.items, plan.weight_kg) == (30, 4011, Decimal("14128.8"))
    assert stock_total(session) == 4011 * 1000
    products = session.scalars(select(ClothingProduct)).all()
    keys = {(p.kind, p.size, p.season) for p in products}
    assert len(keys) == len(products)
    sweater = next(p for p in products if (p.kind, p.size, p.season) == ("毛衣", "XXL", "冬"))
    assert sweater.product.stock == Decimal(39 + 48)  # two batches had XXL winter sweaters
    assert sweater.product.list_price.fen == 0 and sweater.product.clothing
    assert sweater.product.barcode  # an in-store code
    movement = session.scalars(
        select(StockMovement).where(StockMovement.product_id == sweater.product_id)
    ).first()
    assert movement is not None
    assert (movement.kind, movement.reference, movement.actor_name) == (
        "receipt",
        "YN20260105-01",
        ACTOR.name,
    )
    assert movement.donor is not None and "彩虹社区" in movement.donor
    assert verify_stock(session).ok
    lines = clothing_stock(session, settings)
    assert sum(line.stock for line in lines) == 4011
    assert lines[0].kind == settings.clothing.kinds[0]


def test_importing_the_same_file_twice_changes_nothing(
    session: Session, settings: Settings
) -> None:
    record_intake(session, sample(settings), at=AT, actor=ACTOR, settings=settings)
    session.commit()
    movements = session.scalar(select(func.count()).select_from(StockMovement))
    again = record_intake(session, sample(settings), at=AT, actor=ACTOR, settings=settings)
    session.commit()
    assert (len(again.new), len(again.known)) == (0, 30)
    assert session.scalar(select(func.count()).select_from(StockMovement)) == movements
    assert stock_total(session) == 4011 * 1000


def test_a_changed_batch_or_a_bad_row_refuses_the_whole_file(
    session: Session, settings: Settings
) -> None:
    record_intake(session, sample(settings), at=AT, actor=ACTOR, settings=settings)
    session.commit()
    text = SAMPLE.read_text(encoding="utf-8").replace("142.6", "142.7")
    text += "YN20261201-99,2026-12-01,新城社区,10,毛衣/L/冬=5\n"
    parsed = parse_intake(text.encode(), filename="x.csv", kinds=settings.clothing.kinds)
    plan = plan_intake(session, parsed)
    assert [(p.row, p.field) for p in plan.problems] == [(2, "批次")]
    with pytest.raises(ValidationError, match="第 2 行"):
        record_intake(session, parsed, at=AT, actor=ACTOR, settings=settings)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ClothingIntakeBatch)) == 30
