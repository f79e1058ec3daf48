"""The composition root: every package's hooks are handed in per app, so two apps built side by
side (different settings, one process) answer by their own settings and share nothing."""

from __future__ import annotations

from flask import Flask

from cards import hooks as cards_hooks
from core.auth import add_user
from core.config import Settings
from core.db import Database
from core.web import app_state
from pos.app import create_app
from pos.printing.services.worker import RetryWorker, start_retry_worker
from tests.conftest import FakeClock
from tests.pos.conftest import Store


def _allowed_on_the_terminal(app: Flask, store: Store, username: str) -> int:
    client = app.test_client()
    login = client.post("/api/v1/login", json={"username": username, "password": "password123"})
    token = login.get_json()["token"]
    answer = client.get(
        f"/api/v1/terminal/card/{store.card.card_no}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.get_json()
    return int(answer.get_json()["clothing"]["allowed"])


def test_two_apps_side_by_side_keep_their_own_clothing_allowance(
    settings: Settings, database: Database, clock: FakeClock, store: Store
) -> None:
    with database.transaction() as session:
        add_user(session, "cashier1", "password123", "cashier", at=clock())
    one = create_app(settings, database=database, clock=clock, testing=True)
    three = create_app(
        settings.with_overrides(clothing={"items_per_quarter": 3}),
        database=database,
        clock=clock,
        testing=True,
    )
    assert _allowed_on_the_terminal(one, store, "cashier1") == 1
    assert _allowed_on_the_terminal(three, store, "cashier1") == 3
    assert _allowed_on_the_terminal(one, store, "cashier1") == 1  # the last built did not win
    with one.app_context():
        assert cards_hooks.current() is one.extensions["cards"]
    assert one.extensions["cards"] is not three.extensions["cards"]


def test_the_print_retry_worker_is_each_apps_own(
    settings: Settings, database: Database, clock: FakeClock
) -> None:
    printing = settings.with_overrides(printer={"kind": "dummy"})
    apps = [create_app(printing, database=database, clock=clock, testing=True) for _ in range(2)]
    workers = [start_retry_worker(app_state(app), interval=3600) for app in apps]
    try:
        assert all(isinstance(w, RetryWorker) for w in workers)
        assert workers[0] is not workers[1]
        assert start_retry_worker(app_state(apps[0])) is workers[0]  # once per app
        assert app_state(apps[1]).extras["print_worker"] is workers[1]
    finally:
        for worker in workers:
            if worker is not None:
                worker.stop()
    off = create_app(settings, database=database, clock=clock, testing=True)
    assert start_retry_worker(app_state(off)) is None  # printer kind none: no thread
