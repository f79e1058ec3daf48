"""Server-side sessions and the sign-in counters as services (no HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.auth import (
    ApiToken,
    LoginFailure,
    Role,
    SignInLocked,
    SignInRefused,
    add_user,
    authenticate,
    issue_token,
    resolve_token,
)
from core.errors import Unauthorized
from core.sessions import (
    end_session,
    end_user_sessions,
    live_session,
    open_terminal,
    start_session,
)

IDLE = timedelta(minutes=30)
LIFE = timedelta(hours=12)


def test_a_session_dies_ended_idle_or_old(session, clock) -> None:
    user = add_user(session, "wang", "s3cret-pass", Role.CASHIER, at=clock())
    row, sid = start_session(session, user, at=clock(), kind="page", idle=IDLE, lifetime=LIFE)
    assert live_session(session, sid, at=clock()) is row
    assert live_session(session, sid + "x", at=clock()) is None
    assert live_session(session, sid, at=clock() + IDLE) is None  # idle
    row.last_seen_at = clock() + timedelta(hours=11, minutes=50)  # kept busy all day, it
    assert live_session(session, sid, at=clock() + timedelta(hours=11, minutes=59)) is row
    assert live_session(session, sid, at=clock() + LIFE) is None  # still ends at its lifetime
    end_session(session, row, at=clock(), reason="logout")
    assert live_session(session, sid, at=clock()) is None and row.end_reason == "logout"


def test_a_session_token_lives_and_dies_with_it(session, clock) -> None:
    user = add_user(session, "wang", "s3cret-pass", Role.CASHIER, at=clock())
    row, sid = start_session(session, user, at=clock(), kind="page", idle=IDLE, lifetime=LIFE)
    token = open_terminal(session, row, sid, at=clock(), idle=timedelta(minutes=15), secret=b"k")
    assert row.kind == "terminal" and row.idle_seconds == 900
    assert (
        open_terminal(session, row, sid, at=clock(), idle=timedelta(minutes=15), secret=b"k")
        == token
    )
    extra = issue_token(session, user, at=clock(), ttl=LIFE, staff_session=row)
    open_terminal(session, row, sid, at=clock(), idle=timedelta(minutes=15), secret=b"k")
    with pytest.raises(Unauthorized):
        resolve_token(session, extra, at=clock())  # a session holds one token
    assert resolve_token(session, token, at=clock()) is user
    with pytest.raises(Unauthorized):
        resolve_token(session, token, at=clock() + timedelta(minutes=15))  # the terminal idles
    end_session(session, row, at=clock(), reason="logout")
    with pytest.raises(Unauthorized):
        resolve_token(session, token, at=clock())


def test_ending_an_account_counts_what_it_ended(session, clock) -> None:
    user = add_user(session, "wang", "s3cret-pass", Role.CASHIER, at=clock())
    for _ in range(3):
        row, _sid = start_session(session, user, at=clock(), kind="api", idle=IDLE, lifetime=LIFE)
        issue_token(session, user, at=clock(), ttl=LIFE, staff_session=row)
    issue_token(session, user, at=clock(), ttl=LIFE)  # one from before sessions were kept
    assert end_user_sessions(session, user.id, at=clock(), reason="disabled") == (3, 4)
    live = session.scalar(select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_(None)))
    assert live == 0


def test_names_that_are_no_account_lock_and_are_forgotten(session, clock) -> None:
    for _ in range(5):
        with pytest.raises(SignInRefused) as refused:
            authenticate(session, "ghost", "wrong", at=clock())
        assert refused.value.reason == "unknown_user"
    with pytest.raises(SignInLocked) as locked:
        authenticate(session, "ghost", "wrong", at=clock())
    assert locked.value.details["retry_after"] == 31
    clock.advance(days=2)
    with pytest.raises(SignInRefused):
        authenticate(session, "phantom", "wrong", at=clock())  # prunes the day-old names
    names = session.scalars(select(LoginFailure.name)).all()
    assert names == ["phantom"]


def test_a_disabled_account_is_refused_with_the_ordinary_answer(session, clock) -> None:
    user = add_user(session, "wang", "s3cret-pass", Role.CASHIER, at=clock())
    user.active = False
    with pytest.raises(SignInRefused) as refused:
        authenticate(session, "wang", "s3cret-pass", at=clock())
    assert refused.value.message == "用户名或密码错误" and refused.value.reason == "disabled"
    assert refused.value.details == {}  # nothing of the reason reaches the answer
