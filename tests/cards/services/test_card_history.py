"""A card's status history (a freeze no longer overwrites the one before) and the audit events
of the bureau's control actions on cards and people, written in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from cards.models import CardStatusChange
from cards.services import beneficiaries, cards
from core import audit
from core.errors import Conflict, ValidationError
from tests.cards.conftest import ACTOR, make_id, person_row
from tests.conftest import SHANGHAI, TEST_KEYS


def _kinds(session, *kinds: str) -> list[audit.AuditEntry]:
    return list(audit.search(session, kinds=kinds))


def test_freeze_unfreeze_freeze_replace_keeps_every_change(people_with_cards, session, clock):
    card = people_with_cards[0]
    cards.freeze_card(session, card.card_no, reason="遗失", at=clock(), actor=ACTOR)
    clock.advance(hours=1)
    cards.unfreeze_card(session, card.card_no, reason="找回", at=clock(), actor=ACTOR)
    clock.advance(hours=1)
    cards.freeze_card(session, card.card_no, reason="又遗失", at=clock(), actor=ACTOR)
    clock.advance(hours=1)
    new = cards.replace_card(session, card.card_no, at=clock(), actor=ACTOR)
    session.commit()
    history = [
        (h.from_status, h.to_status, h.reason) for h in cards.card_history(session, card.account_id)
    ]
    assert history == [
        (None, "active", "发卡"),
        ("active", "frozen", "遗失"),
        ("frozen", "active", "找回"),
        ("active", "frozen", "又遗失"),
        ("frozen", "closed", "补卡"),
        (None, "active", f"补卡（旧卡 {card.card_no}）"),
    ]
    assert [h.card_id for h in cards.card_history(session, card.account_id)][-1] == new.id
    kinds = [e.kind for e in _kinds(session, "card_freeze", "card_unfreeze", "card_replace")]
    assert kinds == ["card_freeze", "card_unfreeze", "card_freeze", "card_replace"]
    replaced = _kinds(session, "card_replace")[0]
    assert replaced.subject == f"card:{new.card_no}"
    assert replaced.detail["old_card"] == card.card_no and replaced.detail["holder"] == "张*云"


def test_issue_is_logged_per_card(people_with_cards, session):
    issued = _kinds(session, "card_issue")
    assert sorted(e.subject for e in issued) == sorted(
        f"card:{c.card_no}" for c in people_with_cards
    )
    assert all(e.actor == "test" for e in issued)


def test_unfreeze_refusals(people_with_cards, session, clock):
    card = people_with_cards[0]
    with pytest.raises(Conflict, match="不是挂失"):
        cards.unfreeze_card(session, card.card_no, reason="x", at=clock(), actor=ACTOR)
    cards.freeze_card(session, card.card_no, reason="遗失", at=clock(), actor=ACTOR)
    with pytest.raises(ValidationError, match="原因"):
        cards.unfreeze_card(session, card.card_no, reason=" ", at=clock(), actor=ACTOR)
    cards.replace_card(session, card.card_no, at=clock(), actor=ACTOR)
    with pytest.raises(Conflict):
        cards.unfreeze_card(session, card.card_no, reason="找回", at=clock(), actor=ACTOR)


def test_history_rows_cannot_be_changed(people_with_cards, session, database):
    assert session.query(CardStatusChange).count() == 5
    session.rollback()
    for statement in (
        "UPDATE card_status_change SET reason = 'x'",
        "DELETE FROM card_status_change",
        "UPDATE beneficiary_status_change SET reason = 'x'",
    ):
        with database.engine.connect() as connection, pytest.raises(DatabaseError):
            connection.execute(text(statement))


def test_status_changes_and_imports_are_logged(people_with_cards, import_rows, session, clock):
    beneficiaries.set_status(
        session,
        make_id(2),
        "suspended",
        keys=TEST_KEYS,
        reason="复核",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
        address="10.1.2.3",
    )
    session.commit()
    (change,) = _kinds(session, "status_change")
    assert change.detail == {"name": "李*", "from": "active", "to": "suspended", "reason": "复核"}
    assert change.address == "10.1.2.3" and make_id(2) not in str(change.detail)
    import_rows([person_row(n) for n in range(1, 7)])
    first, second = _kinds(session, "roster_import")
    assert (first.detail["added"], second.detail["added"]) == (5, 1)
    assert second.detail["rows"] == 6 and second.detail["filename"] == "t.csv"


def test_the_cli_unfreezes_with_a_reason(people_with_cards, cli, session):
    card = people_with_cards[0].card_no
    assert cli("cards", "freeze", card, "--reason", "遗失").exit_code == 0
    result = cli("cards", "unfreeze", card, "--reason", "找回")
    assert result.exit_code == 0 and "已恢复使用" in result.output
    again = cli("cards", "unfreeze", card, "--reason", "找回")
    assert again.exit_code == 1 and "不是挂失" in again.output


def test_the_person_page_shows_the_card_history_and_unfreezes(
    people_with_cards, session, client, login
):
    login("bureau")
    card = people_with_cards[0]
    person_id = card.account.beneficiary_id
    client.post(f"/cards/cards/{card.card_no}/freeze", data={"reason": "遗失"})
    page = client.get(f"/cards/people/{person_id}").get_data(as_text=True)
    assert "卡片记录" in page and "遗失" in page and "解除挂失" in page
    done = client.post(
        f"/cards/cards/{card.card_no}/unfreeze", data={"reason": "找回"}, follow_redirects=True
    )
    assert "已恢复使用" in done.get_data(as_text=True)
    session.rollback()
    (event,) = _kinds(session, "card_unfreeze")
    assert event.address == "127.0.0.1" and event.detail["reason"] == "找回"
