"""Fixtures of the balance page tests: a store with an address, and a holder with a month's
credit and one purchase."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from cards.models import Card
from cards.services import ledger, topup
from core.config import Settings
from core.money import Money
from core.periods import Month
from tests.cards.conftest import ACTOR, make_id
from tests.conftest import SHANGHAI, TEST_KEYS, shanghai

JSON = {"Accept": "application/json"}
ADDRESS = "郑州市惠济区天河路 18 号"
HOURS = "每天 8:30-18:00（周一休息）"
STORE_PHONE = "0371-6312 3456"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(store={"address": ADDRESS, "hours": HOURS, "phone": STORE_PHONE})


@dataclass
class Holder:
    card: Card
    id_number: str
    token: str

    @property
    def url(self) -> str:
        return f"/b/{self.token}"


@pytest.fixture
def holder(people_with_cards: list[Card], session: Session, settings: Settings) -> Holder:
    """张三云 (低保, phone 13800000000): the November credit of 50.00 on 1 November, a purchase
    of 28.23 on 20 November; now (the clock) is 29 November 2026 10:00."""
    topup.run_topup(
        session,
        settings,
        Month(2026, 11),
        at=shanghai(2026, 11, 1, 9, 0),
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    card = people_with_cards[0]
    ledger.debit_for_sale(
        session,
        card.account_id,
        Money.parse("28.23"),
        sale_no="S0001",
        at=shanghai(2026, 11, 20, 15, 30),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()
    return Holder(card=card, id_number=make_id(1), token=card.qr_token)
