"""The quarter's allowance: quarters turn at Shanghai midnight, the refusal says when the earlier
item was taken and from when the next is free, and the answer handed to the card pages and the
terminal is each app's own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from cards import hooks
from cards.hooks import ClothingStatus
from clothing_exchange.services.allowance import allowance, allowance_for, status_for
from clothing_exchange.services.claims import take_allowance
from core.config import Settings
from core.db import Database
from core.errors import ClothingQuotaExceeded
from pos.app import create_app
from tests.clothing_exchange.conftest import ACTOR, take
from tests.conftest import FakeClock, shanghai


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


def test_zero_items_per_quarter_refuses_every_item(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    none = settings.with_overrides(clothing={"items_per_quarter": 0})
    with pytest.raises(ClothingQuotaExceeded, match="不发放"):
        take(session, make_beneficiary(), shanghai(2026, 8, 1, 10), none)


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


def test_the_card_pages_see_the_allowance_through_the_hook(
    app: Flask, session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    who = make_beneficiary()
    at = shanghai(2026, 12, 31, 23, 59)
    with app.app_context():
        clothing_status = hooks.current().clothing_allowance
    assert clothing_status is not None
    assert clothing_status(session, who, at).used == 0
    take_allowance(
        session, beneficiary_id=who, items=[("鞋", None)], at=at, actor=ACTOR, settings=settings
    )
    status = clothing_status(session, who, at)
    assert (status.quarter, status.allowed, status.used) == ("2026-Q4", 1, 1)
    assert clothing_status(session, who, shanghai(2027, 1, 1, 0, 0)).used == 0


def test_allowance_for_answers_under_its_settings(
    session: Session, settings: Settings, make_beneficiary: Callable[..., int]
) -> None:
    who = make_beneficiary()
    at = shanghai(2026, 5, 5, 10)
    take(session, who, at, settings)
    three = settings.with_overrides(clothing={"items_per_quarter": 3})
    assert allowance_for(settings)(session, who, at) == status_for(
        session, who, at, settings=settings
    )
    assert allowance_for(three)(session, who, at) == ClothingStatus("2026-Q2", 3, 1, at, None)


def test_two_apps_in_one_process_answer_their_own_allowance(
    settings: Settings,
    database: Database,
    clock: FakeClock,
    session: Session,
    make_beneficiary: Callable[..., int],
) -> None:
    """Nothing is kept between apps: the app built first still answers with its own settings."""
    one = create_app(settings, database=database, clock=clock, testing=True)
    three = create_app(
        settings.with_overrides(clothing={"items_per_quarter": 3}),
        database=database,
        clock=clock,
        testing=True,
    )
    who = make_beneficiary()
    take(session, who, clock(), settings)
    session.commit()
    for app, allowed in ((one, 1), (three, 3), (one, 1)):
        with app.app_context():
            answer = hooks.current().clothing_allowance
            assert answer is not None
            status = answer(session, who, clock())
        assert (status.quarter, status.allowed, status.used) == ("2026-Q4", allowed, 1)
