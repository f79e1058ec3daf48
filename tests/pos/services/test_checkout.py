"""The checkout service without HTTP: the card's share of a total, and a replayed sale whose
client reference a concurrent request committed after we looked."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth import Actor, Role, StaffUser
from core.config import Settings
from core.db import Database
from core.money import Money
from pos.app import build_hooks
from pos.models import Sale
from pos.printing.models import PrintJob
from pos.services import checkout, sales
from tests.conftest import TEST_KEYS, FakeClock
from tests.pos.conftest import Store


@pytest.mark.parametrize(
    ("total", "balance", "card", "cash", "after"),
    [
        ("55.76", "50.00", "50.00", "5.76", "0.00"),  # the balance runs out: cash the rest
        ("9.50", "50.00", "9.50", "0.00", "40.50"),  # the card pays the total, no more
        ("9.50", "0.00", "0.00", "9.50", "0.00"),  # an empty card pays nothing
        ("0.00", "50.00", "0.00", "0.00", "50.00"),  # clothing on the allowance: nothing to pay
    ],
)
def test_the_card_pays_at_most_the_balance_and_at_most_the_total(
    total: str, balance: str, card: str, cash: str, after: str
) -> None:
    tender = checkout.card_tender(Money.parse(total), Money.parse(balance))
    assert (str(tender.card_pays), str(tender.cash_due), str(tender.balance_after)) == (
        card,
        cash,
        after,
    )


def _sell(
    database: Database, store: Store, settings: Settings, actor: Actor, at: FakeClock, ref: str
) -> checkout.CheckoutResult:
    with database.transaction() as session:
        request = checkout.SaleRequest(
            client_ref=ref,
            lines=[checkout.LineRequest(store.rice.barcode)],
            card_no=store.card.card_no,
            paid_card=Money.parse("9.50"),
        )
        result = checkout.checkout(
            session,
            request,
            at=at(),
            actor=actor,
            terminal="01",
            settings=settings,
            allowance=build_hooks(settings).clothing_allowance,
            keys=TEST_KEYS,
        )
        return result


def test_a_sale_queues_its_receipt(
    database: Database,
    store: Store,
    settings: Settings,
    clock: FakeClock,
    make_user: Callable[..., StaffUser],
) -> None:
    actor = Actor.of(make_user(Role.CASHIER))
    result = _sell(database, store, settings, actor, clock, "ref-1")
    assert not result.replayed and result.receipt is not None
    with database.session() as check:
        job = check.get(PrintJob, result.receipt.id)
        assert job is not None and job.reference == result.sale.sale_no


def test_a_client_ref_committed_meanwhile_answers_that_sale(
    database: Database,
    store: Store,
    settings: Settings,
    clock: FakeClock,
    make_user: Callable[..., StaffUser],
    monkeypatch: pytest.MonkeyPatch,
    session: Session,
) -> None:
    actor = Actor.of(make_user(Role.CASHIER))
    first = _sell(database, store, settings, actor, clock, "ref-2")
    # The race: the replay looks for its client_ref before the first sale is visible, so its own
    # insert is what meets the first one (the unique key).
    looks: list[str] = []

    def not_yet(session: Session, client_ref: str) -> Sale | None:
        looks.append(client_ref)
        if len(looks) == 1:
            return None
        return sales.sale_by_ref(session, client_ref)

    monkeypatch.setattr(checkout, "sale_by_ref", not_yet)
    replay = _sell(database, store, settings, actor, clock, "ref-2")
    assert looks == ["ref-2", "ref-2"]
    assert replay.replayed and replay.receipt is None
    assert replay.sale.sale_no == first.sale.sale_no
    assert store.balance(session) == Money.parse("40.50")  # (rolls back: sees what committed)
    assert session.scalar(select(func.count(Sale.id))) == 1
    assert session.scalar(select(func.count(PrintJob.id))) == 1
