"""Give-away events can name who took an item, by card number, on the events page."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from clothing_exchange.models import ClothingClaim
from clothing_exchange.services import status_for
from core.auth import Role
from core.web import app_state
from tests.pos import conftest as checkout_fixtures

store = checkout_fixtures.store  # a card holder and a clothing product


def _event(client: Any, handouts: str) -> Any:
    return client.post(
        "/clothing/events",
        data={"event_date": "2026-11-28", "place": "迎宾路社区广场", "handouts": handouts},
    )


def test_named_handouts_count_against_the_quarter_when_configured(
    app: Any, client: Any, login: Any, store: Any, session: Any, settings: Any, clock: Any
) -> None:
    app_state(app).settings = settings.with_overrides(clothing={"events_count": True})
    login(Role.SUPERVISOR)
    answer = _event(client, f"{store.card.card_no} 毛衣\n")
    assert answer.status_code == 302
    person = store.card.account.beneficiary_id
    counting = settings.with_overrides(clothing={"events_count": True})
    assert status_for(session, person, clock(), settings=counting).used == 1
    again = _event(client, f"{store.card.card_no} 棉衣")
    assert again.status_code == 400 and "2027-01-01" in again.get_data(as_text=True)


def test_named_handouts_are_only_recorded_by_default(client, login, store, session, clock) -> None:
    login(Role.SUPERVISOR)
    assert _event(client, f"{store.card.card_no} 毛衣").status_code == 302
    session.rollback()
    claim = session.scalar(select(ClothingClaim))
    assert claim is not None and claim.counted is False
    assert status_for(session, store.card.account.beneficiary_id, clock()).used == 0


def test_bad_handout_lines_are_named(client, login, store, session) -> None:
    login(Role.SUPERVISOR)
    for text, expected in [
        ("1234567812345678 毛衣", "第 1 行"),
        (f"\n{store.card.card_no} 西装", "第 2 行：未知衣物种类 西装"),
        (f"{store.card.card_no}", "应为：卡号 种类"),
    ]:
        page = _event(client, text)
        assert page.status_code == 400 and expected in page.get_data(as_text=True)
    session.rollback()
    assert session.scalar(select(ClothingClaim)) is None
