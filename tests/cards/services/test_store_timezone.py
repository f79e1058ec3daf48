"""The store's timezone (`store.timezone`) decides the day a movement is booked on, the month a
statement counts it in and the quarter of the clothing allowance: it is read from the settings,
never assumed. 23:30 UTC on 30 November is already 1 December 07:30 in Shanghai."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.hooks import CardsHooks
from cards.models import Card, LedgerTransaction
from cards.services import beneficiaries, ledger, statement
from cards.services.clothing import clothing_status
from cards.services.fund_statement import fund_statement
from core.auth import Role, StaffUser
from core.config import Settings
from core.db import Database
from core.money import Money
from core.periods import Month
from pos.app import create_app
from tests.cards.conftest import ACTOR, make_id
from tests.conftest import TEST_KEYS, Cli, FakeClock, cli_ok

LATE = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 2026-12-01 07:30 in Asia/Shanghai
ZONES = [("Asia/Shanghai", date(2026, 12, 1)), ("UTC", date(2026, 11, 30))]


@pytest.mark.parametrize(("timezone", "day"), ZONES)
def test_a_purchase_is_booked_on_its_day_in_the_store_timezone(
    people_with_cards: list[Card], session: Session, settings: Settings, timezone: str, day: date
) -> None:
    store = settings.with_overrides(store={"timezone": timezone})
    account = people_with_cards[0].account_id
    ledger.adjust(
        session,
        account,
        Money.parse("50.00"),
        reason="补发",
        at=datetime(2026, 11, 10, 12, 0, tzinfo=UTC),
        tz=store.tz,
        actor=ACTOR,
    )
    txn = ledger.debit_for_sale(
        session, account, Money.parse("12.00"), sale_no="S1", at=LATE, tz=store.tz, actor=ACTOR
    )
    session.commit()
    booked = session.get(LedgerTransaction, txn)
    assert booked is not None and booked.business_date == day
    assert statement.statement(session, account)[-1].line.business_date == day
    november = fund_statement(session, store, Month(2026, 11), CardsHooks()).total
    december = fund_statement(session, store, Month(2026, 12), CardsHooks()).total
    in_november = day.month == 11
    assert november.spent == (1200 if in_november else 0)
    assert december.spent == (0 if in_november else 1200)
    assert november.closing == (3800 if in_november else 5000)
    assert december.opening == november.closing


@pytest.mark.parametrize(("timezone", "day"), ZONES)
def test_pages_book_and_show_days_in_the_store_timezone(
    people_with_cards: list[Card],
    session: Session,
    settings: Settings,
    database: Database,
    make_user: Callable[..., StaffUser],
    timezone: str,
    day: date,
) -> None:
    app = create_app(
        settings.with_overrides(store={"timezone": timezone}),
        database=database,
        clock=FakeClock(LATE),
        testing=True,
    )
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    user = make_user(Role.BUREAU)
    client.post("/", data={"username": user.username, "password": "password123"})
    card = people_with_cards[0]
    person_id = card.account.beneficiary_id
    answer = client.post(
        f"/cards/people/{person_id}/adjust", data={"amount": "5.00", "reason": "补发"}
    )
    assert answer.status_code == 302
    session.rollback()
    adjustment = session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.kind == "adjustment")
    )
    assert adjustment is not None and adjustment.business_date == day
    recent = client.get(f"/b/{card.qr_token}", headers={"Accept": "application/json"})
    assert recent.get_json()["recent"][0]["date"] == day.isoformat()


@pytest.mark.parametrize(("timezone", "day"), ZONES)
def test_a_status_change_takes_effect_on_the_store_day(
    people_with_cards: list[Card],
    session: Session,
    settings: Settings,
    database: Database,
    timezone: str,
    day: date,
) -> None:
    cli = Cli(settings.with_overrides(store={"timezone": timezone}), database, FakeClock(LATE))
    cli_ok(cli("beneficiaries", "set-status", make_id(3), "suspended", "--reason", "复核"))
    session.rollback()
    person = beneficiaries.find_beneficiary(session, make_id(3), keys=TEST_KEYS)
    assert person.status_changes[-1].effective_on == day


def test_without_an_allowance_the_quarter_is_the_store_quarter(session: Session) -> None:
    new_year = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 2027-01-01 00:30 in Shanghai
    shanghai = clothing_status(session, 1, new_year, tz=ZoneInfo("Asia/Shanghai"), allowance=None)
    utc = clothing_status(session, 1, new_year, tz=UTC, allowance=None)
    assert (shanghai.quarter, utc.quarter) == ("2027-Q1", "2026-Q4")
    assert (shanghai.allowed, shanghai.used) == (0, 0)
