"""Server-side sessions: a sign-in is a row (`core.auth.StaffSession`) that the cookie or the
bearer token only points at, so that signing out, disabling an account or changing its password
ends it on the server, and a copied cookie or token stops working at once.

A session dies when it is ended, after its lifetime, or after `idle_seconds` without a request;
`touch` moves its idle clock (at most once a minute, to keep writes rare). The cashier terminal
uses one bearer token per page session, derived from the session id, so reloading the terminal
reuses it instead of minting another.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Update, select, update
from sqlalchemy.orm import Session

from core.auth import (
    SESSION_KINDS,
    ApiToken,
    StaffSession,
    StaffUser,
    digest,
    find_token,
    issue_token,
)
from core.errors import Unauthorized

TOUCH_EVERY = timedelta(seconds=60)
END_REASONS = ("logout", "disabled", "password", "revoked", "replaced")


def start_session(
    session: Session,
    user: StaffUser,
    *,
    at: datetime,
    kind: str,
    idle: timedelta,
    lifetime: timedelta,
    address: str = "",
) -> tuple[StaffSession, str]:
    """A new session for `user`; returns the row and its id (only the id's hash is stored)."""
    if kind not in SESSION_KINDS:
        raise ValueError(f"unknown session kind {kind!r}")
    sid = secrets.token_urlsafe(32)
    row = StaffSession(
        sid_hash=digest(sid),
        user=user,
        kind=kind,
        created_at=at,
        last_seen_at=at,
        expires_at=at + lifetime,
        idle_seconds=int(idle.total_seconds()),
        address=address[:64],
    )
    session.add(row)
    session.flush()
    return row, sid


def live_session(session: Session, sid: str, *, at: datetime) -> StaffSession | None:
    """The live session behind a session id, or None (unknown, ended, idle too long, expired, or
    its account disabled)."""
    row = session.scalar(select(StaffSession).where(StaffSession.sid_hash == digest(sid)))
    return row if row is not None and row.is_live(at) else None


def needs_touch(row: StaffSession, at: datetime) -> bool:
    """True when the session's idle clock is worth moving (a minute has passed)."""
    return at - row.last_seen_at >= TOUCH_EVERY


def touch_statement(session_id: int, at: datetime) -> Update:
    """The UPDATE that moves a session's idle clock (for a transaction of its own)."""
    return (
        update(StaffSession)
        .where(StaffSession.id == session_id, StaffSession.last_seen_at < at)
        .values(last_seen_at=at)
    )


def end_session(session: Session, row: StaffSession, *, at: datetime, reason: str) -> None:
    """End one session and revoke every token it holds."""
    if reason not in END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    if row.ended_at is None:
        row.ended_at = at
        row.end_reason = reason
    session.execute(
        update(ApiToken)
        .where(ApiToken.session_id == row.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    session.flush()


def end_user_sessions(
    session: Session, user_id: int, *, at: datetime, reason: str
) -> tuple[int, int]:
    """End every session of an account and revoke every token it holds (those of older
    sessionless sign-ins too). Returns (sessions ended, tokens revoked)."""
    if reason not in END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    ended = session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=at, end_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=at)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(getattr(ended, "rowcount", 0)), int(getattr(revoked, "rowcount", 0))


def live_counts(session: Session, user_id: int, *, at: datetime) -> tuple[int, int]:
    """(live sessions, live tokens) of an account, as the admin page shows them."""
    sessions = session.scalars(
        select(StaffSession).where(
            StaffSession.user_id == user_id,
            StaffSession.ended_at.is_(None),
            StaffSession.expires_at > at,
        )
    ).all()
    tokens = session.scalars(
        select(ApiToken).where(
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > at,
        )
    ).all()
    return sum(1 for s in sessions if s.is_live(at)), sum(1 for t in tokens if t.is_live(at))


def terminal_token_for(sid: str, *, secret: bytes) -> str:
    """The terminal's bearer token of one page session: derived from the session id with the
    app's secret, so the same session always gets the same token (and the cookie carries none)."""
    mac = hmac.new(secret, b"charity-terminal-token\x00" + sid.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()


def open_terminal(
    session: Session,
    row: StaffSession,
    sid: str,
    *,
    at: datetime,
    idle: timedelta,
    secret: bytes,
) -> str:
    """Make a page session the terminal's (its shorter idle timeout) and return its one bearer
    token: the live one it already holds, or a new one the first time. Any other token of the
    session is revoked, so a session never holds more than one."""
    row.kind = "terminal"
    row.idle_seconds = int(idle.total_seconds())
    token = terminal_token_for(sid, secret=secret)
    existing = find_token(session, token)
    if existing is not None and existing.session_id != row.id:
        raise Unauthorized("登录已失效，请重新登录")
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.session_id == row.id,
            ApiToken.revoked_at.is_(None),
            ApiToken.token_hash != digest(token),
        )
        .values(revoked_at=at)
        .execution_options(synchronize_session="fetch")
    )
    if existing is None:
        issue_token(
            session, row.user, at=at, ttl=row.expires_at - at, staff_session=row, token=token
        )
    elif existing.revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录")
    session.flush()
    return token
