"""Intake becomes clothing stock through inventory movements; events; the reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clothing_exchange.intake import parse_intake
from clothing_exchange.models import ClothingClaim, ClothingIntakeBatch, ClothingProduct
from clothing_exchange.reports import (
    clothing_stock,
    given_by_quarter,
    intake_by_month_and_point,
    unused_allowance,
)
from clothing_exchange.services import (
    claim_for_sale,
    plan_intake,
    record_event,
    record_intake,
    status_for,
)
from core.config import Settings
from core.errors import ClothingQuotaExceeded, ValidationError
from inventory.models import Product, StockMovement
from inventory.services.stock import verify_stock
from tests.clothing_exchange.conftest import ACTOR
from tests.conftest import shanghai

SAMPLE = Path(__file__).parents[2] / "clothing_exchange" / "demo_data" / "clothing_intake.csv"
AT = shanghai(2026, 8, 1, 9, 0)


def sample(settings: Settings):
    return parse_intake(SAMPLE.read_bytes(), filename=SAMPLE.name, kinds=settings.clothing.kinds)


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


def test_events_count_only_when_configured(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    record_intake(session, sample(settings), at=AT, actor=ACTOR, settings=settings)
    who = make_beneficiary()
    event = record_event(
        session,
        event_date=date(2026, 8, 15),
        place="花园口村文化广场",
        totals={"棉衣": 40, "鞋": 12},
        handouts=[(who, "毛衣")],
        at=AT,
        actor=ACTOR,
        settings=settings,
    )
    assert sorted((t.kind, t.count) for t in event.totals) == [("棉衣", 40), ("鞋", 12)]
    # events do not count by default: the store item is still free
    assert status_for(session, who, AT, settings=settings).used == 0
    counting = settings.with_overrides(clothing={"events_count": True})
    other = make_beneficiary()
    record_event(
        session,
        event_date=date(2026, 9, 1),
        place="迎宾路社区",
        handouts=[(other, "外套")],
        at=AT,
        actor=ACTOR,
        settings=counting,
    )
    assert status_for(session, other, AT, settings=counting).used == 1
    coat = session.scalars(select(ClothingProduct).where(ClothingProduct.kind == "外套")).first()
    assert coat is not None
    with pytest.raises(ClothingQuotaExceeded):
        claim_for_sale(
            session,
            beneficiary_id=other,
            items=[(coat.product_id, 1)],
            sale_no="S1",
            at=shanghai(2026, 9, 2, 10),
            actor=ACTOR,
            settings=counting,
        )
    claim_for_sale(
        session,
        beneficiary_id=who,
        items=[(coat.product_id, 1)],
        sale_no="S2",
        at=shanghai(2026, 9, 2, 10),
        actor=ACTOR,
        settings=settings,
    )
    session.commit()
    given = {g.quarter: (g.in_store, g.at_events) for g in given_by_quarter(session)}
    assert given == {"2026-Q3": (1, 40 + 12 + 1 + 1)}
    idle = make_beneficiary(name="王小明")
    make_beneficiary(status="exited")
    unused = unused_allowance(session, settings, at=shanghai(2026, 9, 2, 11))
    assert [(u.beneficiary_id, u.name, u.used) for u in unused] == [(idle, "王小明", 0)]
    assert unused_allowance(session, settings, at=shanghai(2026, 10, 1, 0)) != unused  # Q4
    assert session.scalar(select(func.count()).select_from(ClothingClaim)) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"place": " ", "totals": {"鞋": 1}}, "地点不能为空"),
        ({"place": "广场", "totals": {"皮草": 1}}, "未知衣物种类 皮草"),
        ({"place": "广场", "totals": {"鞋": -1}}, "非负整数"),
        ({"place": "广场", "totals": {}}, "至少填写"),
    ],
)
def test_bad_events_are_refused(
    session: Session, settings: Settings, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        record_event(
            session, event_date=date(2026, 8, 1), at=AT, actor=ACTOR, settings=settings, **kwargs
        )


def test_intake_report_per_month_and_point(session: Session, settings: Settings) -> None:
    record_intake(session, sample(settings), at=AT, actor=ACTOR, settings=settings)
    rows = intake_by_month_and_point(session, year=2026)
    assert sum(r.items for r in rows) == 4011
    assert sum(r.weight_kg for r in rows) == Decimal("14128.8")
    jan = [r for r in rows if r.month == "2026-01"]
    assert {r.collection_point for r in jan} == {
        "长兴路街道彩虹社区回收点",
        "迎宾路街道迎宾路社区回收点",
        "新城街道新城社区回收点",
        "江山路街道薛岗村回收点",
    }
    assert intake_by_month_and_point(session, year=2025) == []
