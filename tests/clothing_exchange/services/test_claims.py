"""Clothing claims: all or none, only for an active beneficiary and clothing, the database holds
the limit across terminals, a refund gives the allowance back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from clothing_exchange.services.allowance import allowance, status_for
from clothing_exchange.services.claims import claim_for_sale, release_claims
from clothing_exchange.services.stock import clothing_product
from core.config import Settings
from core.db import Database
from core.errors import BeneficiaryInactive, ClothingQuotaExceeded, ValidationError
from core.money import Money
from inventory.services.products import ensure_product
from tests.clothing_exchange.conftest import ACTOR, take
from tests.conftest import shanghai


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
