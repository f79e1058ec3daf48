"""The demo data: valid people, a card each, the month credited, the books verified."""

from __future__ import annotations

from sqlalchemy import func, select

from cards import demo
from cards.models import Account, Beneficiary, Card, Proxy
from cards.services import cards, roster_file
from cards.services.verify import verify_ledger
from tests.cards.conftest import id_number_of
from tests.conftest import TEST_KEYS


def test_demo_loads_valid_people_with_cards_and_credit(session, settings, keys, clock):
    lines = demo.load(session, settings, keys=keys, at=clock())
    session.commit()
    people = session.scalars(select(Beneficiary)).all()
    assert len(people) == 40
    # length, birth date and check digit (stdnum's region table predates some districts)
    assert all(
        roster_file.check_id_number(id_number_of(p), today=clock().date())[1] is None
        for p in people
    )
    assert session.scalar(select(func.count()).select_from(Card)) == 40
    assert session.scalar(select(func.count()).select_from(Proxy)) == 3
    assert [p.status for p in people].count("suspended") == 1
    # the suspended person is skipped by the top-up: 39 x 50.00
    assert session.scalar(select(func.sum(Account.balance_fen))) == 39 * 5000
    assert verify_ledger(session, TEST_KEYS).ok
    assert "39 人" in lines[0] and len(lines) >= 4
    card_no = lines[2].split()[0]
    assert cards.card_for_payment(session, card_no).status == "active"
