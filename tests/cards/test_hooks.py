"""What the host hands the cards package (`cards.hooks`): each app has its own, so two apps built
in one process (tests, workers) never share a clothing allowance; without hooks, nothing is
allowed and nothing used."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session

from cards import hooks
from cards.hooks import CardsHooks, ClothingStatus
from cards.models import Card
from core.config import Settings
from core.db import Database
from pos.app import create_app
from tests.conftest import FakeClock

JSON = {"Accept": "application/json"}


def _allowing(items: int) -> hooks.ClothingAllowance:
    def allowance(session: Session, beneficiary_id: int, at: datetime) -> ClothingStatus:
        return ClothingStatus("2026-Q4", items, 0, None, None)

    return allowance


def _clothing(app: Flask, card: Card) -> dict[str, object]:
    answer = app.test_client().get(f"/b/{card.qr_token}", headers=JSON)
    assert answer.status_code == 200
    clothing = answer.get_json()["clothing"]
    assert isinstance(clothing, dict)
    return clothing


def _app(settings: Settings, database: Database, clock: FakeClock) -> Flask:
    return create_app(settings, database=database, clock=clock, testing=True)


def test_two_apps_in_one_process_keep_their_own_clothing_hooks(
    settings: Settings, database: Database, clock: FakeClock, people_with_cards: list[Card]
) -> None:
    first = _app(settings, database, clock)
    second = _app(settings, database, clock)
    hooks.install(first, CardsHooks(clothing_allowance=_allowing(2)))
    hooks.install(second, CardsHooks(clothing_allowance=_allowing(5)))
    third = _app(settings, database, clock)  # built last: it changes neither of the others
    hooks.install(third, CardsHooks())
    card = people_with_cards[0]
    assert _clothing(first, card)["allowed"] == 2
    assert _clothing(second, card)["allowed"] == 5
    assert _clothing(third, card)["allowed"] == 0
    with first.app_context():
        assert hooks.current().clothing_allowance is not None
    with third.app_context():
        assert hooks.current() == CardsHooks()


def test_each_app_asks_the_clothing_rule_with_its_own_settings(
    settings: Settings, database: Database, clock: FakeClock, people_with_cards: list[Card]
) -> None:
    """pos/app.py wires clothing_exchange's allowance with the settings of the app it builds."""
    one = _app(settings.with_overrides(clothing={"items_per_quarter": 1}), database, clock)
    three = _app(settings.with_overrides(clothing={"items_per_quarter": 3}), database, clock)
    card = people_with_cards[0]
    assert _clothing(three, card)["allowed"] == 3
    assert _clothing(one, card)["allowed"] == 1


def test_an_app_without_hooks_allows_nothing(
    settings: Settings, database: Database, clock: FakeClock, people_with_cards: list[Card]
) -> None:
    app = _app(settings, database, clock)
    app.extensions.pop("cards")
    with app.app_context():
        assert hooks.current() == CardsHooks()
    clothing = _clothing(app, people_with_cards[0])
    assert (clothing["quarter"], clothing["allowed"], clothing["used"]) == ("2026-Q4", 0, 0)
