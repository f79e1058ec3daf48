"""Give-away events: totals by kind and named handouts, which count against the quarter only when
configured (then they show in the reports too); bad events are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clothing_exchange.models import ClothingClaim, ClothingProduct
from clothing_exchange.services.allowance import status_for
from clothing_exchange.services.claims import claim_for_sale
from clothing_exchange.services.events import record_event
from clothing_exchange.services.intake import record_intake
from clothing_exchange.services.reports import given_by_quarter, unused_allowance
from core.config import Settings
from core.errors import ClothingQuotaExceeded, ValidationError
from tests.clothing_exchange.conftest import ACTOR, sample
from tests.conftest import shanghai

AT = shanghai(2026, 8, 1, 9, 0)


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
