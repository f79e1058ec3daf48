"""The admin's audit page: search by kind, actor, days and subject, newest first, in pages;
read-only (no way to change an event through the application; the database refuses too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from core import audit
from core.auth import Actor, Role
from tests.conftest import shanghai


@pytest.fixture
def events(database):
    """61 card freezes on 1 to 3 December 2026 (store time) and one export by someone else."""
    with database.transaction() as session:
        start = shanghai(2026, 12, 1, 9, 0)
        for n in range(61):
            audit.record(
                session,
                "card_freeze",
                actor=Actor(None, "bureau-a"),
                at=start + timedelta(hours=n),
                subject=f"card:86{n:014d}",
                detail={"reason": "丢失", "n": n},
                address="10.0.0.5",
            )
        audit.record(
            session,
            "export",
            actor=Actor(None, "bureau-b"),
            at=shanghai(2026, 12, 2, 12, 0),
            subject="cards list",
            detail={"format": "csv"},
        )


def test_only_admins_see_it(events, client, login):
    login(Role.BUREAU)
    assert client.get("/office/audit").status_code == 403


def test_search_and_pages(events, client, login):
    login(Role.ADMIN)
    first = client.get("/office/audit").get_data(as_text=True)
    assert first.count("<tr>") == 51  # the header and 50 events
    assert "card:86" + "0" * 12 + "60" in first  # newest first
    assert "下一页" in first and "上一页" not in first
    second = client.get("/office/audit?page=2").get_data(as_text=True)
    # 61 freezes, the export and the admin's own sign-in: 13 left for page two, and the header
    assert second.count("<tr>") == 14 and "上一页" in second and "下一页" not in second
    exports = client.get("/office/audit?kind=export").get_data(as_text=True)
    assert "cards list" in exports and "card:860" not in exports and "导出个人信息" in exports
    by_actor = client.get("/office/audit?actor=bureau-b").get_data(as_text=True)
    assert by_actor.count("<tr>") == 2
    one_day = client.get("/office/audit?kind=card_freeze&since=2026-12-03&until=2026-12-03")
    assert one_day.get_data(as_text=True).count("<tr>") == 1 + 22  # hours 39 to 60
    subject = client.get("/office/audit?subject=card:8600000000000000").get_data(as_text=True)
    assert subject.count("<tr>") == 2 and "10.0.0.5" in subject


def test_a_bad_filter_is_named(events, client, login):
    login(Role.ADMIN)
    bad = client.get("/office/audit?since=12/01/2026")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    unknown = client.get("/office/audit?kind=nothing")
    assert unknown.status_code == 400 and "nothing" in unknown.get_data(as_text=True)


def test_nothing_can_be_changed(events, client, login, database):
    login(Role.ADMIN)
    for method in (client.post, client.put, client.delete):
        assert method("/office/audit").status_code == 405
    for statement in ("UPDATE audit_event SET actor_name = 'x'", "DELETE FROM audit_event"):
        with database.engine.connect() as connection, pytest.raises(DatabaseError):
            connection.execute(text(statement))
