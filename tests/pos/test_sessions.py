"""Server-side sessions through the app: sign-out ends the session and the terminal's token (a
copied cookie no longer works), the idle timeouts (back office and the shorter terminal one), the
terminal's one token per sign-in, and disabling an account ending everything it holds at once."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from core import accounts
from core.auth import Actor, ApiToken, Role, StaffSession
from core.db import Database
from tests.conftest import FakeClock


def _sign_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    answer = client.post("/", data={"username": username, "password": "password123"})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def _terminal_token(client: FlaskClient) -> str:
    page = client.get("/terminal")
    assert page.status_code == 200
    found = re.search(r'data-token="([^"]+)"', page.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def _live_tokens(database: Database, clock: FakeClock, user_id: int) -> int:
    with database.session(write=False) as session:
        rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)).all()
        return sum(1 for row in rows if row.is_live(clock()))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_cookie_carries_only_a_session_id(app: Flask, make_user, database) -> None:
    user = make_user(Role.BUREAU)
    client = _sign_in(app, user.username)
    with client.session_transaction() as cookie:
        assert set(cookie) <= {"sid", "_user_id", "_fresh", "_id", "csrf_token"}
        sid = cookie["sid"]
    with database.session(write=False) as session:
        row = session.scalar(select(StaffSession).where(StaffSession.user_id == user.id))
        assert row is not None and row.kind == "page" and row.ended_at is None
        assert sid not in row.sid_hash  # only its hash is kept


def test_a_copied_cookie_stops_working_at_sign_out(app: Flask, make_user, database) -> None:
    user = make_user(Role.SUPERVISOR)
    client = _sign_in(app, user.username)
    token = _terminal_token(client)
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    assert thief.get("/office").status_code == 200  # a copy works while the session lives
    assert client.post("/logout").status_code == 302
    assert thief.get("/office").status_code == 302  # ... and not after sign-out
    assert "/?next=" in thief.get("/office").headers["Location"]
    # the terminal's token ended with the session
    answer = app.test_client().get("/api/v1/me", headers=_bearer(token))
    assert answer.status_code == 401
    with database.session(write=False) as session:
        row = session.scalar(select(StaffSession).where(StaffSession.user_id == user.id))
        assert row is not None and row.end_reason == "logout"


def test_reloading_the_terminal_reuses_one_token(app: Flask, make_user, database, clock) -> None:
    user = make_user(Role.CASHIER)
    client = _sign_in(app, user.username)
    tokens = {_terminal_token(client) for _ in range(10)}
    assert len(tokens) == 1
    assert client.get("/terminal").headers["Cache-Control"] == "no-store"
    assert _live_tokens(database, clock, user.id) == 1
    with database.session(write=False) as session:
        assert session.scalar(select(func.count(ApiToken.id))) == 1
    # a second sign-in (another counter) has its own session and its own token
    other = _sign_in(app, user.username)
    assert _terminal_token(other) not in tokens
    assert _live_tokens(database, clock, user.id) == 2


def test_back_office_pages_end_after_the_idle_timeout(app: Flask, make_user, clock) -> None:
    user = make_user(Role.BUREAU)
    client = _sign_in(app, user.username)
    clock.advance(minutes=29)
    assert client.get("/office").status_code == 200  # activity moves the idle clock
    clock.advance(minutes=29)
    assert client.get("/office").status_code == 200
    clock.advance(minutes=31)
    assert client.get("/office").status_code == 302


def test_the_terminal_idles_out_sooner_and_its_poll_is_not_activity(
    app: Flask, make_user, clock
) -> None:
    user = make_user(Role.CASHIER)
    client = _sign_in(app, user.username)
    token = _terminal_token(client)
    clock.advance(minutes=10)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200  # a scan, say
    for _ in range(14):  # the printer poll, for 14 minutes, keeps nothing alive
        clock.advance(minutes=1)
        assert client.get("/printing/state").status_code == 200
    clock.advance(minutes=1, seconds=1)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert client.get("/terminal").status_code == 302


def test_api_sessions_idle_out_and_sign_out_ends_them(client, make_user, clock) -> None:
    user = make_user(Role.CASHIER)
    login = client.post(
        "/api/v1/login", json={"username": user.username, "password": "password123"}
    )
    token = login.get_json()["token"]
    clock.advance(minutes=20)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    clock.advance(minutes=31)
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    login = client.post(
        "/api/v1/login", json={"username": user.username, "password": "password123"}
    )
    token = login.get_json()["token"]
    assert client.post("/api/v1/logout", headers=_bearer(token)).status_code == 200
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_disabling_an_account_ends_its_sessions_and_tokens_at_once(
    app: Flask, make_user, database, clock
) -> None:
    user = make_user(Role.CASHIER)
    page = _sign_in(app, user.username)
    terminal_token = _terminal_token(page)
    api_token = (
        app.test_client()
        .post("/api/v1/login", json={"username": user.username, "password": "password123"})
        .get_json()["token"]
    )
    with database.transaction() as session:
        target = accounts.find_account(session, user.username)
        assert accounts.disable_account(session, target, at=clock(), actor=Actor.cli()) == (2, 2)
    assert page.get("/terminal").status_code == 302
    for token in (terminal_token, api_token):
        assert app.test_client().get("/api/v1/me", headers=_bearer(token)).status_code == 401
    # and its sign-in is refused, with the ordinary answer
    again = app.test_client().post(
        "/api/v1/login", json={"username": user.username, "password": "password123"}
    )
    assert again.status_code == 401
    assert again.get_json()["error"]["message"] == "用户名或密码错误"


def test_a_new_password_signs_the_account_out_everywhere(
    app: Flask, make_user, database, clock
) -> None:
    user = make_user(Role.BUREAU)
    page = _sign_in(app, user.username)
    with database.transaction() as session:
        target = accounts.find_account(session, user.username)
        accounts.set_password(session, target, "a-new-secret", at=clock(), actor=Actor.cli())
    assert page.get("/office").status_code == 302
    fresh = app.test_client()
    assert (
        fresh.post("/", data={"username": user.username, "password": "password123"}).status_code
        == 401
    )
    assert (
        fresh.post("/", data={"username": user.username, "password": "a-new-secret"}).status_code
        == 302
    )
