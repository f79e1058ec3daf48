"""Demo data of the cards package, made through its own services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.config import Settings


def load(session: Session, settings: Settings, *, at: datetime) -> list[str]:
    """Fill an empty store with sample data; returns lines to print (what was loaded)."""
    return []
