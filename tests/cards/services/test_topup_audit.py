"""Top-up runs in the audit log: prepared, approved (also the implicit approval of "single"),
cancelled; a refused approval leaves no trace but the run's own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cards.services import topup
from core.audit import AuditEvent
from core.auth import Actor
from core.errors import Forbidden
from core.periods import Month
from tests.conftest import TEST_KEYS, cli_ok


def _events(session):
    session.rollback()
    rows = session.scalars(
        select(AuditEvent).where(AuditEvent.kind.like("topup%")).order_by(AuditEvent.id)
    ).all()
    return [(e.kind, e.actor_name, e.subject) for e in rows]


def test_single_approval_logs_prepare_and_approve(people_with_cards, session, cli):
    cli_ok(cli("topup", "2026-11"))
    events = _events(session)
    assert [kind for kind, _, _ in events] == ["topup_prepare", "topup_approve"]
    assert all(
        actor.startswith("cli:") and subject.startswith("topup:2026-11#")
        for _, actor, subject in events
    )


def test_two_person_run_logs_each_step_by_its_user(
    people_with_cards, session, settings, clock, make_user
):
    two = settings.with_overrides(allowance={"approval": "two_person"})

    alice, bob = Actor.of(make_user("bureau")), Actor.of(make_user("bureau"))
    first = topup.run_topup(session, two, Month(2026, 11), at=clock(), actor=alice, keys=TEST_KEYS)
    session.commit()
    with pytest.raises(Forbidden):
        topup.approve_run(session, two, first.run.id, at=clock(), actor=alice, keys=TEST_KEYS)
    session.rollback()
    topup.cancel_run(session, two, first.run.id, at=clock(), actor=bob, address="10.0.0.9")
    session.commit()
    second = topup.prepare_run(session, two, Month(2026, 11), at=clock(), actor=alice)
    session.commit()
    topup.approve_run(session, two, second.id, at=clock(), actor=bob, keys=TEST_KEYS)
    session.commit()
    assert _events(session) == [
        ("topup_prepare", alice.name, f"topup:2026-11#{first.run.id}"),
        ("topup_cancel", bob.name, f"topup:2026-11#{first.run.id}"),
        ("topup_prepare", alice.name, f"topup:2026-11#{second.id}"),
        ("topup_approve", bob.name, f"topup:2026-11#{second.id}"),
    ]
    cancelled = session.scalar(select(AuditEvent).where(AuditEvent.kind == "topup_cancel"))
    assert cancelled is not None and cancelled.address == "10.0.0.9"
