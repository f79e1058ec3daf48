"""The audit log: events recorded with who, when, where and the outcome; append-only in the
database itself; searchable by time, kind, actor and subject."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.audit import AUDIT_KINDS, AuditEvent, record, record_now, search
from core.auth import Actor
from core.db import Database

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WANG = Actor(7, "wang")


def test_an_event_keeps_who_when_where_what_and_the_outcome(session: Session) -> None:
    record(
        session,
        "id_reveal",
        actor=WANG,
        at=AT,
        subject="beneficiary:12",
        detail={"id_number": "410105********1234"},
        address="10.0.0.8",
    )
    session.commit()
    (entry,) = search(session)
    assert (entry.actor, entry.kind, entry.subject, entry.address, entry.outcome) == (
        "wang",
        "id_reveal",
        "beneficiary:12",
        "10.0.0.8",
        "ok",
    )
    assert entry.at == AT
    assert entry.to_json()["detail"] == {"id_number": "410105********1234"}


def test_unknown_kinds_and_outcomes_are_programming_errors(session: Session) -> None:
    with pytest.raises(ValueError, match="unknown audit kind"):
        record(session, "coffee_break", actor=WANG, at=AT)
    with pytest.raises(ValueError, match="unknown audit outcome"):
        record(session, "login", actor=WANG, at=AT, outcome="maybe")


def test_every_contract_kind_is_accepted(session: Session) -> None:
    for minute, kind in enumerate(AUDIT_KINDS):
        record(session, kind, actor=None, at=AT + timedelta(minutes=minute))
    session.commit()
    assert [e.kind for e in search(session)] == list(AUDIT_KINDS)


def test_record_now_stays_when_the_callers_work_is_rolled_back(
    database: Database, session: Session
) -> None:
    with database.session(write=True) as work:
        record(work, "refund", actor=WANG, at=AT, subject="sale:1")
        work.rollback()
    record_now(database.engine, "login_failed", actor=None, at=AT, subject="nobody")
    assert [(e.kind, e.subject) for e in search(session)] == [("login_failed", "nobody")]


def test_search_filters(session: Session) -> None:
    record(session, "login", actor=WANG, at=AT)
    record(session, "export", actor=Actor(8, "li"), at=AT + timedelta(days=2), subject="cards.csv")
    record(session, "login", actor=Actor(8, "li"), at=AT + timedelta(days=3))
    session.commit()
    assert [e.actor for e in search(session, kinds=["login"])] == ["wang", "li"]
    assert [e.kind for e in search(session, since=AT + timedelta(days=1))] == ["export", "login"]
    assert [e.kind for e in search(session, until=AT + timedelta(days=1))] == ["login"]
    assert [e.kind for e in search(session, actor="li")] == ["export", "login"]
    assert [e.kind for e in search(session, subject="cards")] == ["export"]
    assert len(list(search(session, limit=2))) == 2


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET actor_name = 'x'", "DELETE FROM audit_event"]
)
def test_nothing_in_the_log_can_be_changed(database: Database, statement: str) -> None:
    with database.session(write=True) as work:
        record(work, "month_close", actor=WANG, at=AT, subject="2026-11")
        work.commit()
    with database.engine.connect() as connection, pytest.raises(DBAPIError, match="审计日志"):
        connection.execute(text(statement))
    with database.session() as check:
        assert check.query(AuditEvent).one().actor_name == "wang"
