"""Card lifecycle: issue, freeze, replace, lookups for payment, masking, the csv list."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cards.models import Card
from cards.services import beneficiaries, cards
from cards.services.text import mask_id_number, mask_name
from core.errors import BeneficiaryInactive, CardFrozen, Conflict, UnknownCard, ValidationError
from tests.cards.conftest import ACTOR, make_id
from tests.conftest import SHANGHAI, TEST_KEYS, cli_ok


def test_masks():
    assert mask_name("张三云") == "张*云"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "张"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_id_number("410108199001011234") == "4101**********1234"


def test_card_numbers_have_a_check_digit(people_with_cards, session):
    card = people_with_cards[0]
    assert len(card.card_no) == 16 and card.card_no.isdigit()
    assert cards.find_card(session, card.card_no).id == card.id
    wrong = card.card_no[:-1] + str((int(card.card_no[-1]) + 1) % 10)
    with pytest.raises(UnknownCard, match="有误"):
        cards.find_card(session, wrong)
    with pytest.raises(UnknownCard, match="有误"):
        cards.find_card(session, "12345")
    assert len(card.qr_token) >= 22  # >= 128 random bits
    assert cards.card_by_token(session, card.qr_token).id == card.id


def test_issue_all_gives_one_card_each_and_skips_inactive(people_with_cards, session, clock):
    assert len(people_with_cards) == 5
    assert cards.issue_all(session, at=clock(), actor=ACTOR) == []
    with pytest.raises(Conflict):
        cards.issue_card(session, people_with_cards[0].account.beneficiary, at=clock(), actor=ACTOR)


def test_freeze_and_replace_keep_the_account(people_with_cards, session, clock):
    card = people_with_cards[0]
    cards.freeze_card(session, card.card_no, reason="遗失", at=clock(), actor=ACTOR)
    with pytest.raises(CardFrozen):
        cards.card_for_payment(session, card.card_no)
    assert cards.card_by_token(session, card.qr_token) is None
    new = cards.replace_card(session, card.card_no, at=clock(), actor=ACTOR)
    session.commit()
    assert new.account_id == card.account_id
    assert new.card_no != card.card_no and new.qr_token != card.qr_token
    assert card.status == "closed" and card.replaced_by_id == new.id
    assert cards.card_for_payment(session, new.card_no).id == new.id
    with pytest.raises(Conflict):
        cards.replace_card(session, card.card_no, at=clock(), actor=ACTOR)


def test_at_most_one_active_card_per_account(people_with_cards, session, clock):
    card = people_with_cards[0]
    session.add(
        Card(
            card_no="8600000000000000",
            qr_token="x" * 24,
            status="active",
            account_id=card.account_id,
            issued_at=clock(),
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_inactive_holder_cannot_pay(people_with_cards, session, clock):
    card = people_with_cards[1]
    beneficiaries.set_status(
        session,
        make_id(2),
        "suspended",
        keys=TEST_KEYS,
        reason="复核中",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    with pytest.raises(BeneficiaryInactive):
        cards.card_for_payment(session, card.card_no)


def test_set_status_history_and_refusals(people_with_cards, session, clock):
    beneficiaries.set_status(
        session,
        make_id(1),
        "exited",
        keys=TEST_KEYS,
        reason="迁出",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    person = beneficiaries.find_beneficiary(session, make_id(1), keys=TEST_KEYS)
    last = person.status_changes[-1]
    assert (last.from_status, last.to_status, last.reason) == ("active", "exited", "迁出")
    assert last.effective_on.isoformat() == "2026-11-29"
    with pytest.raises(Conflict):
        beneficiaries.set_status(
            session,
            make_id(1),
            "exited",
            keys=TEST_KEYS,
            reason="x",
            at=clock(),
            tz=SHANGHAI,
            actor=ACTOR,
        )
    with pytest.raises(ValidationError):
        beneficiaries.set_status(
            session,
            make_id(2),
            "exited",
            keys=TEST_KEYS,
            reason=" ",
            at=clock(),
            tz=SHANGHAI,
            actor=ACTOR,
        )


def test_cli_list_csv_and_lifecycle(people_with_cards, cli, session):
    out = cli_ok(cli("cards", "list", "--format", "csv"))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [
        "card_no",
        "id_number",
        "name",
        "category",
        "status",
        "balance",
        "qr_url",
    ]
    first = rows[0]
    assert first["id_number"] == make_id(1) and first["name"] == "张三云"
    assert (
        first["category"] == "低保" and first["status"] == "active" and first["balance"] == "0.00"
    )
    assert first["qr_url"].startswith("http://kiosk.test/b/")
    card_no = first["card_no"]
    cli_ok(cli("cards", "freeze", card_no, "--reason", "遗失"))
    new_no = cli_ok(cli("cards", "replace", card_no)).strip()
    assert len(new_no) == 16 and new_no != card_no
    result = cli("cards", "freeze", "1111", "--reason", "x")
    assert result.exit_code == 1 and "有误" in result.output
    session.expire_all()
    statuses = {c.card_no: c.status for c in session.scalars(select(Card))}
    assert statuses[card_no] == "closed" and statuses[new_no] == "active"


def test_cli_set_status(people_with_cards, cli):
    out = cli_ok(cli("beneficiaries", "set-status", make_id(3), "suspended", "--reason", "复核"))
    assert "暂停" in out
    assert cli("beneficiaries", "set-status", "410108", "active", "--reason", "x").exit_code == 1
