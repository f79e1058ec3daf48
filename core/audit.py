"""The audit log: one append-only record per control event (sign-ins, refunds, adjustments and
their approvals, top-up runs, card and status changes, imports, price changes, reveals of an ID
number, exports, month closes) with who, when, from which address, what and the outcome.

Rows are only ever inserted (database triggers refuse UPDATE and DELETE on both engines), so the
application cannot change the record of what it did. `record` writes in the caller's
transaction: an event is logged exactly when what it describes is committed. `record_now` writes
in a transaction of its own, for events that must stay logged although the caller's work is
rolled back (a refused sign-in).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.auth import Actor
from core.db import Base, UTCDateTime

AUDIT_KINDS: tuple[str, ...] = (
    "login",
    "login_failed",
    "logout",
    "user_add",
    "user_disable",
    "password_change",
    "refund",
    "adjustment",
    "adjustment_approve",
    "topup_prepare",
    "topup_approve",
    "card_issue",
    "card_freeze",
    "card_replace",
    "status_change",
    "roster_import",
    "price_change",
    "id_reveal",
    "export",
    "month_close",
)
"""The contract's kinds. Packages may add their own (say `adjustment_reject`, `role_change`) to
`EXTRA_KINDS` below; a kind that is in neither is a programming error."""

EXTRA_KINDS: tuple[str, ...] = (
    "adjustment_reject",
    "topup_cancel",
    "user_enable",
    "role_change",
    "token_revoke",
    "day_close",
    "key_rotate",
    "backup",
    "card_unfreeze",
    "card_lookup",
)

OUTCOMES = ("ok", "refused", "failed")


class AuditEvent(Base):
    """One control event. Append-only."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(Integer, default=None)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    subject: Mapped[str] = mapped_column(String(128), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    address: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="ok")

    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_kind_at", "kind", "at"),
    )


@dataclass(frozen=True)
class AuditEntry:
    """An audit event as the command line and the admin page show it."""

    id: int
    at: datetime
    actor: str
    kind: str
    subject: str
    detail: dict[str, Any]
    address: str
    outcome: str

    def to_json(self) -> dict[str, Any]:
        """The contract's json: `{at, actor, kind, subject, detail}` (and address, outcome)."""
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "kind": self.kind,
            "subject": self.subject,
            "detail": self.detail,
            "address": self.address,
            "outcome": self.outcome,
        }


def _values(
    kind: str,
    *,
    actor: Actor | None,
    at: datetime,
    subject: str,
    detail: Mapping[str, Any] | None,
    address: str,
    outcome: str,
) -> dict[str, Any]:
    if kind not in AUDIT_KINDS and kind not in EXTRA_KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    return {
        "at": at,
        "kind": kind,
        "actor_id": actor.user_id if actor is not None else None,
        "actor_name": actor.name if actor is not None else "",
        "subject": subject[:128],
        "detail": json.dumps(dict(detail or {}), ensure_ascii=False, sort_keys=True, default=str),
        "address": address[:64],
        "outcome": outcome,
    }


def record(
    session: Session,
    kind: str,
    *,
    actor: Actor | None,
    at: datetime,
    subject: str = "",
    detail: Mapping[str, Any] | None = None,
    address: str = "",
    outcome: str = "ok",
) -> None:
    """Log one event in the caller's transaction (committed with what it describes). `detail`
    never holds a full ID number or phone: callers pass masked values."""
    session.execute(
        insert(AuditEvent),
        [
            _values(
                kind,
                actor=actor,
                at=at,
                subject=subject,
                detail=detail,
                address=address,
                outcome=outcome,
            )
        ],
    )


def record_now(
    engine: Engine,
    kind: str,
    *,
    actor: Actor | None,
    at: datetime,
    subject: str = "",
    detail: Mapping[str, Any] | None = None,
    address: str = "",
    outcome: str = "ok",
) -> None:
    """Log one event in a transaction of its own (kept even if the caller rolls back). Call it
    with no writing transaction of the caller's open: SQLite has a single writer."""
    values = _values(
        kind, actor=actor, at=at, subject=subject, detail=detail, address=address, outcome=outcome
    )
    with engine.begin() as connection:
        connection.execute(insert(AuditEvent), [values])


def search(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kinds: Sequence[str] = (),
    actor: str = "",
    subject: str = "",
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> Iterator[AuditEntry]:
    """Events, oldest first (or newest first), filtered; streamed (a year's log is not held in
    memory)."""
    query = select(AuditEvent).order_by(
        *(
            (AuditEvent.at.desc(), AuditEvent.id.desc())
            if newest_first
            else (AuditEvent.at, AuditEvent.id)
        )
    )
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    if kinds:
        query = query.where(AuditEvent.kind.in_(list(kinds)))
    if actor:
        query = query.where(AuditEvent.actor_name == actor)
    if subject:
        query = query.where(AuditEvent.subject.contains(subject, autoescape=True))
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    for event in session.scalars(query.execution_options(yield_per=500)):
        yield AuditEntry(
            id=event.id,
            at=event.at,
            actor=event.actor_name,
            kind=event.kind,
            subject=event.subject,
            detail=json.loads(event.detail or "{}"),
            address=event.address,
            outcome=event.outcome,
        )
