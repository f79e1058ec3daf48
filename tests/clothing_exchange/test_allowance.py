"""The quarterly clothing allowance: quarters turn at Shanghai midnight, the database holds the
limit across terminals, a refund gives the allowance back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from cards.services import ClothingStatus
from clothing_exchange.services import (
    allowance,
    claim_for_sale,
    clothing_product,
    release_claims,
    status_for,
    take_allowance,
)
from core.config import Settings
from core.db import Database
from core.errors import BeneficiaryInactive, ClothingQuotaExceeded, ValidationError
from core.money import Money
from inventory.services.products import ensure_product
from tests.clothing_exchange.conftest import ACTOR
from tests.conftest import shanghai


def take(
    session: Session, who: int, at: datetime, settings: Settings, n: int = 1, sale: str = "S1"
):
    return take_allowance(
        session,
        beneficiary_id=who,
        items=[("毛衣", None)] * n,
        at=at,
        actor=ACTOR,
        settings=settings,
        sale_no=sale,
    )


@pytest.mark.parametrize(
    ("month", "day", "before", "after"),
    [
        (3, 31, "2026-Q1", "2026-Q2"),
        (6, 30, "2026-Q2", "2026-Q3"),
        (9, 30, "2026-Q3", "2026-Q4"),
        (12, 31, "2026-Q4", "2027-Q1"),
    ],
)
def test_quarter_turns_at_shanghai_midnight(
    session: Session,
    settings: Settings,
    make_beneficiary: Callable[..., int],
    month: int,
    day: int,
    before: str,
    after: str,
) -> None:
    who = make_beneficiary()
    last_minute = shanghai(2026, month, day, 23, 59)
    [claim] = take(session, who, last_minute, settings)
    assert claim.quarter == before
    # a second item in the same minute of the same quarter is refused ...
    with pytest.raises(ClothingQuotaExceeded) as refused:
        take(session, who, shanghai(2026, month, day, 23, 59, 59), settings)
    assert "23:59" in refused.value.message
    assert refused.value.details["next_available"] == (
        f"{2027 if month == 12 else 2026}-{1 if month == 12 else month + 1:02d}-01"
    )
    # ... and at Shanghai midnight (still the previous day in UTC) the new quarter allows one
    midnight = last_minute.replace(minute=0, hour=0) + (shanghai(2026, 1, 2) - shanghai(2026, 1, 1))
    assert midnight.astimezone(UTC).day == day  # UTC has not turned yet
    [claim] = take(session, who, midnight, settings)
    assert claim.quarter == after
    state = allowance(session, who, midnight, settings)
    assert (str(state.quarter), state.used, state.allowed, state.left) == (after, 1, 1, 0)
    session.commit()


def test_refusal_says_when_taken_and_when_next(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    who = make_beneficiary()
    take(session, who, shanghai(2026, 2, 3, 14, 5), settings)
    with pytest.raises(ClothingQuotaExceeded) as refused:
        take(session, who, shanghai(2026, 3, 1, 9, 0), settings)
    message = refused.value.message
    assert "2026-02-03 14:05" in message and "2026-04-01" in message
    assert refused.value.code == "clothing_quota_exceeded"


def test_more_items_than_left_take_none(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    many = settings.with_overrides(clothing={"items_per_quarter": 2})
    who = make_beneficiary()
    take(session, who, shanghai(2026, 5, 1, 10), many)
    with pytest.raises(ClothingQuotaExceeded, match="还可领 1 件，本单有 2 件"):
        take(session, who, shanghai(2026, 5, 2, 10), many, n=2)
    assert allowance(session, who, shanghai(2026, 5, 2, 10), many).used == 1
    take(session, who, shanghai(2026, 5, 2, 10), many, n=1)
    assert allowance(session, who, shanghai(2026, 5, 2, 10), many).left == 0


def test_refund_gives_the_allowance_back(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    who = make_beneficiary()
    at = shanghai(2026, 8, 1, 10)
    shoes = clothing_product(session, "鞋", "L", "夏", at=at, actor=ACTOR, settings=settings)
    coat = clothing_product(session, "外套", "L", "冬", at=at, actor=ACTOR, settings=settings)
    claim_for_sale(
        session,
        beneficiary_id=who,
        items=[(shoes.id, 1)],
        sale_no="S9",
        at=at,
        actor=ACTOR,
        settings=settings,
    )
    assert release_claims(session, sale_no="S9", product_id=coat.id, qty=1, at=at, actor=ACTOR) == 0
    assert (
        release_claims(session, sale_no="S9", product_id=shoes.id, qty=3, at=at, actor=ACTOR) == 1
    )
    assert (
        release_claims(session, sale_no="S9", product_id=shoes.id, qty=1, at=at, actor=ACTOR) == 0
    )
    assert status_for(session, who, at, settings=settings).used == 0
    [claim] = claim_for_sale(
        session,
        beneficiary_id=who,
        items=[(coat.id, 1)],
        sale_no="S10",
        at=at,
        actor=ACTOR,
        settings=settings,
    )
    assert claim.kind == "外套" and claim.slot == 1
    session.commit()


def test_claims_need_an_active_beneficiary_and_clothing(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    at = shanghai(2026, 8, 1, 10)
    shoes = clothing_product(session, "鞋", "L", "夏", at=at, actor=ACTOR, settings=settings)
    suspended = make_beneficiary(status="suspended")
    with pytest.raises(BeneficiaryInactive):
        claim_for_sale(
            session,
            beneficiary_id=suspended,
            items=[(shoes.id, 1)],
            sale_no="S1",
            at=at,
            actor=ACTOR,
            settings=settings,
        )
    rice = ensure_product(
        session,
        barcode=None,
        name="大米",
        spec="5kg",
        unit="袋",
        category="粮油",
        list_price=Money(2990),
        discount_rate=None,
        clothing=False,
        source="purchased",
        at=at,
        actor=ACTOR,
    )
    with pytest.raises(ValidationError, match="不是爱心衣物"):
        claim_for_sale(
            session,
            beneficiary_id=make_beneficiary(),
            items=[(rice.id, 1)],
            sale_no="S2",
            at=at,
            actor=ACTOR,
            settings=settings,
        )
    # a sale without clothing lines takes nothing and asks nothing
    assert (
        claim_for_sale(
            session,
            beneficiary_id=suspended,
            items=[],
            sale_no="S3",
            at=at,
            actor=ACTOR,
            settings=settings,
        )
        == []
    )


def test_status_for_reports_the_quarter(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    who = make_beneficiary()
    at = shanghai(2026, 12, 31, 23, 59)
    fresh = status_for(session, who, at, settings=settings)
    assert fresh == ClothingStatus("2026-Q4", 1, 0, None, None)
    take(session, who, at, settings)
    used = status_for(session, who, at, settings=settings)
    assert (used.used, used.next_available) == (1, date(2027, 1, 1))
    assert used.last_taken_at == at


def test_zero_items_per_quarter_refuses_every_item(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    none = settings.with_overrides(clothing={"items_per_quarter": 0})
    with pytest.raises(ClothingQuotaExceeded, match="不发放"):
        take(session, make_beneficiary(), shanghai(2026, 8, 1, 10), none)


def _race(database: Database, settings: Settings, who: int, *, stagger: bool) -> list[str]:
    """Two terminals, one card, one clothing item each, at the same moment."""
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)
    first_inserted = threading.Event()

    def terminal(n: int) -> None:
        at = shanghai(2026, 11, 29, 10, 0)
        try:
            barrier.wait(timeout=10)
            if stagger and n == 2:
                first_inserted.wait(timeout=10)
            with database.transaction() as s:
                take(s, who, at, settings, sale=f"T{n}")
                if stagger and n == 1:
                    first_inserted.set()
                    time.sleep(0.5)  # hold the uncommitted claim while terminal 2 tries
            outcome = "ok"
        except ClothingQuotaExceeded:
            outcome = "refused"
        finally:
            first_inserted.set()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=terminal, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(results)


@pytest.mark.parametrize("stagger", [True, False])
def test_quota_holds_across_two_terminals(
    database: Database, settings: Settings, make_beneficiary: Callable[..., int], stagger: bool
) -> None:
    who = make_beneficiary()
    assert _race(database, settings, who, stagger=stagger) == ["ok", "refused"]
    with database.session() as s:
        assert allowance(s, who, shanghai(2026, 11, 29, 11), settings).used == 1


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(min_value=1, max_value=3),
    st.lists(st.tuples(st.booleans(), st.integers(min_value=1, max_value=3)), max_size=12),
)
def test_used_never_exceeds_allowed(
    session: Session,
    settings: Settings,
    make_beneficiary: Callable[..., int],
    per_quarter: int,
    steps: list[tuple[bool, int]],
) -> None:
    cfg = settings.with_overrides(clothing={"items_per_quarter": per_quarter})
    who = make_beneficiary()
    at = shanghai(2026, 5, 5, 10)
    shoes = clothing_product(session, "鞋", "M", "夏", at=at, actor=ACTOR, settings=cfg)
    held: list[str] = []
    for n, (claim, qty) in enumerate(steps):
        if claim:
            try:
                claim_for_sale(
                    session,
                    beneficiary_id=who,
                    items=[(shoes.id, qty)],
                    sale_no=f"P{n}",
                    at=at,
                    actor=ACTOR,
                    settings=cfg,
                )
                held.extend([f"P{n}"] * qty)
            except ClothingQuotaExceeded:
                assert len(held) + qty > per_quarter
        elif held:
            sale = held[0]
            released = release_claims(
                session, sale_no=sale, product_id=shoes.id, qty=1, at=at, actor=ACTOR
            )
            assert released == 1
            held.remove(sale)
        used = allowance(session, who, at, cfg).used
        assert used == len(held) <= per_quarter
    session.rollback()
