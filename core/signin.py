"""Signing staff in and out, for the pages (a server-side session named by the signed cookie) and
the API (a bearer token bound to a session of its own), with every attempt in the audit log:
`login` and `logout` in the transaction that starts or ends the session, `login_failed` in one of
its own (`record_now`), so that a refusal stays logged although nothing else is kept.

Outside demo mode the demo accounts' published passwords (`AppState.refused_passwords`, handed in
by the app) are refused even when right.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g, request
from flask import session as cookie_session
from flask_login import current_user, login_user, logout_user

from core import audit
from core.auth import (
    Actor,
    StaffSession,
    StaffUser,
    authenticate,
    issue_token,
    refusal_reason,
    revoke_token,
)
from core.errors import Unauthorized
from core.sessions import end_session, start_session
from core.web import SESSION_ID_KEY, app_state, db_session, now, page_session


def client_address() -> str:
    return (request.remote_addr or "")[:64]


def record_refusal(username: str, *, reason: str, via: str, at: datetime | None = None) -> None:
    """Log a refused sign-in in a transaction of its own (call it with none of ours open)."""
    state = app_state()
    audit.record_now(
        state.db.engine,
        "login_failed",
        actor=None,
        at=at or now(),
        subject=username.strip()[:64],
        detail={"reason": reason, "via": via},
        address=client_address(),
        outcome="refused",
    )


def check_sign_in(username: str, password: str, *, via: str) -> StaffUser:
    """The user, if name and password are right; else the refusal is logged and raised (the
    failure count is kept)."""
    session = db_session()
    state = app_state()
    at = now()
    try:
        return authenticate(
            session,
            username,
            password,
            at=at,
            max_failures=state.settings.security.max_failed_logins,
            refused_passwords=state.refused_passwords,
        )
    except Unauthorized as exc:
        session.commit()  # keep the failure count
        record_refusal(username, reason=refusal_reason(exc), via=via, at=at)
        raise


def _start(user: StaffUser, *, kind: str, via: str) -> tuple[StaffSession, str]:
    session = db_session()
    security = app_state().settings.security
    at = now()
    row, sid = start_session(
        session,
        user,
        at=at,
        kind=kind,
        idle=timedelta(minutes=security.idle_minutes),
        lifetime=timedelta(hours=security.token_ttl_hours),
        address=client_address(),
    )
    audit.record(
        session,
        "login",
        actor=Actor.of(user),
        at=at,
        subject=user.username,
        detail={"via": via},
        address=client_address(),
    )
    return row, sid


def sign_in_page(username: str, password: str) -> StaffUser:
    """Sign in on the page: a new server-side session, its id alone in the signed cookie."""
    user = check_sign_in(username, password, via="page")
    row, sid = _start(user, kind="page", via="page")
    db_session().commit()
    cookie_session.clear()  # nothing of an earlier sign-in survives in the cookie
    login_user(user)
    cookie_session[SESSION_ID_KEY] = sid
    g.staff_session = row
    return user


@dataclass(frozen=True)
class ApiSignIn:
    user: StaffUser
    token: str
    expires_at: datetime


def sign_in_api(username: str, password: str) -> ApiSignIn:
    """Sign in through the API: a session of its own and the bearer token bound to it."""
    user = check_sign_in(username, password, via="api")
    row, _sid = _start(user, kind="api", via="api")  # the token is the credential, not the id
    at = now()
    ttl = timedelta(hours=app_state().settings.security.token_ttl_hours)
    token = issue_token(db_session(), user, at=at, ttl=ttl, staff_session=row)
    db_session().commit()
    return ApiSignIn(user=user, token=token, expires_at=row.expires_at)


def sign_out_page() -> None:
    """End the page session on the server (and the terminal's token it holds), then the cookie."""
    row = page_session()
    if current_user.is_authenticated:
        user: StaffUser = current_user._get_current_object()
        session = db_session()
        at = now()
        if row is not None:
            end_session(session, row, at=at, reason="logout")
        audit.record(
            session,
            "logout",
            actor=Actor.of(user),
            at=at,
            subject=user.username,
            detail={"via": "page", "kind": row.kind if row is not None else ""},
            address=client_address(),
        )
        session.commit()
    logout_user()
    cookie_session.clear()


def sign_out_token(token: str, user: StaffUser) -> None:
    """End a bearer token and the session it belongs to (API sign-out)."""
    session = db_session()
    at = now()
    row = revoke_token(session, token, at=at)
    kind = ""
    if row is not None and row.staff_session is not None:
        kind = row.staff_session.kind
        end_session(session, row.staff_session, at=at, reason="logout")
    audit.record(
        session,
        "logout",
        actor=Actor.of(user),
        at=at,
        subject=user.username,
        detail={"via": "api", "kind": kind},
        address=client_address(),
    )
    session.commit()
