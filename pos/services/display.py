"""The customer display (客显): the terminal sends what its screen shows after every change, and
the display (a second monitor or a tablet at `/display`) polls it. Only masked names travel; a
state older than `STALE` shows as idle (the store's notices)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from pos.models import CustomerDisplay

STALE = timedelta(minutes=10)


def show(session: Session, terminal: str, payload: dict[str, Any], *, at: datetime) -> None:
    """Replace what `terminal`'s display shows (flushes only)."""
    row = session.get(CustomerDisplay, terminal)
    if row is None:
        session.add(CustomerDisplay(terminal=terminal, payload=payload, updated_at=at))
    else:
        row.payload = payload
        row.updated_at = at
    session.flush()


def current(session: Session, terminal: str, *, at: datetime) -> dict[str, Any]:
    """What `terminal`'s display should show now: its last state, or `{"state": "idle"}`."""
    row = session.get(CustomerDisplay, terminal)
    if row is None or at - row.updated_at > STALE:
        return {"state": "idle"}
    return dict(row.payload)
