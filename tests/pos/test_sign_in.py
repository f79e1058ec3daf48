"""Sign-in on the page and the API: the same answer and timing for unknown and known names, the
per-name lockout for any name, the per-address throttle, every attempt in the audit log, and the
demo accounts' published passwords refused outside demo mode."""

from __future__ import annotations

import statistics
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from core import audit
from core.auth import Role
from core.config import Settings
from core.db import Database
from pos.app import create_app
from tests.conftest import FakeClock


@pytest.fixture
def roomy(settings: Settings, database: Database, clock: FakeClock) -> FlaskClient:
    """A client of an app whose per-address throttle is out of the way (tests of the per-name
    rules that fail many times from one address)."""
    app = create_app(
        settings.with_overrides(security={"login_rate_limit": "1000 per minute"}),
        database=database,
        clock=clock,
        testing=True,
    )
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client()


def _events(database: Database, *kinds: str) -> list[audit.AuditEntry]:
    with database.session(write=False) as session:
        return list(audit.search(session, kinds=kinds))


def _api_login(client: FlaskClient, username: str, password: str) -> tuple[int, object]:
    answer = client.post("/api/v1/login", json={"username": username, "password": password})
    return answer.status_code, answer.get_json()


def test_unknown_name_and_wrong_password_get_the_same_answer(client, make_user) -> None:
    make_user(Role.CASHIER, username="wang")
    known = client.post("/api/v1/login", json={"username": "wang", "password": "wrong-pass"})
    unknown = client.post("/api/v1/login", json={"username": "wanq", "password": "wrong-pass"})
    assert known.status_code == unknown.status_code == 401
    assert known.get_data() == unknown.get_data()
    assert known.get_json() == {"error": {"code": "unauthorized", "message": "用户名或密码错误"}}
    drop = {"Date", "Content-Length"}
    assert {k: v for k, v in known.headers if k not in drop} == {
        k: v for k, v in unknown.headers if k not in drop
    }
    # the page: the same status and the same page but for the name typed back into the form
    page_known = client.post("/", data={"username": "wang", "password": "wrong-pass"})
    page_unknown = client.post("/", data={"username": "wanq", "password": "wrong-pass"})
    assert page_known.status_code == page_unknown.status_code == 401
    assert page_known.get_data(as_text=True).replace("wang", "NAME") == page_unknown.get_data(
        as_text=True
    ).replace("wanq", "NAME")


def test_unknown_and_known_names_take_about_the_same_time(roomy, make_user) -> None:
    client = roomy
    make_user(Role.CASHIER, username="wang")

    def median(name: str) -> float:
        took = []
        for _ in range(4):
            start = time.perf_counter()
            client.post("/api/v1/login", json={"username": name, "password": "wrong-pass"})
            took.append(time.perf_counter() - start)
        return statistics.median(took)

    median("wang"), median("nobody")  # warm up
    known, unknown = median("wang"), median("nobody")
    # one scrypt hash on both paths; without it an unknown name answers ~50x faster
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_a_name_that_is_no_account_locks_like_one_that_is(roomy, make_user) -> None:
    client = roomy
    make_user(Role.CASHIER, username="wang")
    answers = {}
    for name in ("wang", "ghost"):
        for _ in range(5):
            assert _api_login(client, name, "wrong-pass")[0] == 401
        answers[name] = _api_login(client, name, "wrong-pass")
    assert answers["wang"] == answers["ghost"]
    status, body = answers["ghost"]
    assert status == 429
    assert body["error"]["code"] == "unauthorized" and "秒后再试" in body["error"]["message"]


def test_every_attempt_is_in_the_audit_log(client, make_user, database) -> None:
    make_user(Role.CASHIER, username="wang")
    client.post("/api/v1/login", json={"username": "wang", "password": "wrong-pass"})
    client.post("/api/v1/login", json={"username": "ghost", "password": "wrong-pass"})
    client.post("/", data={"username": "wang", "password": "password123"})
    client.post("/logout")
    token = _api_login(client, "wang", "password123")[1]["token"]  # type: ignore[index]
    client.post("/api/v1/logout", headers={"Authorization": f"Bearer {token}"})
    events = _events(database, "login", "login_failed", "logout")
    assert [(e.kind, e.subject, e.outcome, e.detail.get("reason")) for e in events] == [
        ("login_failed", "wang", "refused", "bad_password"),
        ("login_failed", "ghost", "refused", "unknown_user"),
        ("login", "wang", "ok", None),
        ("logout", "wang", "ok", None),
        ("login", "wang", "ok", None),
        ("logout", "wang", "ok", None),
    ]
    assert [e.detail["via"] for e in events] == ["api", "api", "page", "page", "api", "api"]
    assert all(e.address == "127.0.0.1" for e in events)
    assert events[2].actor == "wang" and events[0].actor == ""


def test_failed_sign_ins_are_throttled_per_address(
    settings: Settings, database: Database, clock: FakeClock, make_user
) -> None:
    app = create_app(
        settings.with_overrides(security={"login_rate_limit": "3 per minute"}),
        database=database,
        clock=clock,
        testing=True,
    )
    app.config["WTF_CSRF_ENABLED"] = False
    make_user(Role.CASHIER, username="wang")
    client = app.test_client()
    # good sign-ins never count
    for _ in range(5):
        assert _api_login(client, "wang", "password123")[0] == 200
    # three accounts tried from one address: the fourth failure is throttled, page or API
    for name in ("a1", "a2", "a3"):
        assert _api_login(client, name, "wrong-pass")[0] == 401
    throttled = client.post("/api/v1/login", json={"username": "a4", "password": "x"})
    assert throttled.status_code == 429
    assert "此地址登录失败次数过多" in throttled.get_json()["error"]["message"]
    assert int(throttled.headers["Retry-After"]) > 0
    page = client.post("/", data={"username": "wang", "password": "password123"})
    assert page.status_code == 429 and "此地址登录失败次数过多" in page.get_data(as_text=True)
    # another address is not held back
    other = client.post(
        "/api/v1/login",
        json={"username": "wang", "password": "password123"},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert other.status_code == 200
    refused = _events(database, "login_failed")
    assert [e.detail["reason"] for e in refused][-2:] == ["throttled", "throttled"]
    assert refused[-2].subject == "a4" and refused[-1].subject == "wang"


def test_demo_passwords_are_refused_outside_demo_mode(
    app: Flask, client, make_user, settings, database, clock, tmp_path
) -> None:
    make_user(Role.CASHIER, username="cashier", password="cashier123")
    status, body = _api_login(client, "cashier", "cashier123")
    assert status == 401
    message = body["error"]["message"]  # type: ignore[index]
    assert "演示密码" in message and "charity user password cashier --password-stdin" in message
    page = client.post("/", data={"username": "cashier", "password": "cashier123"})
    assert page.status_code == 401 and "charity user password" in page.get_data(as_text=True)
    # a wrong password still gets the ordinary answer (nothing said about the account)
    assert _api_login(client, "cashier", "cashier12")[1] == {
        "error": {"code": "unauthorized", "message": "用户名或密码错误"}
    }
    assert [e.detail["reason"] for e in _events(database, "login_failed")][:2] == [
        "demo_password",
        "demo_password",
    ]
    demo = create_app(settings, database=database, clock=clock, demo=True)
    assert _api_login(demo.test_client(), "cashier", "cashier123")[0] == 200
