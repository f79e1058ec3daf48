"""What the cards package is handed by the app that hosts it (pos/app.py builds it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ClothingStatus:
    """A person's clothing allowance in one quarter, as the card pages and the terminal show it."""

    quarter: str
    allowed: int
    used: int
    last_taken_at: datetime | None
    next_available: date | None


class ClothingAllowance(Protocol):
    """How the host answers a person's clothing allowance at an instant."""

    def __call__(self, session: Session, beneficiary_id: int, at: datetime) -> ClothingStatus: ...


@dataclass(frozen=True)
class CardsHooks:
    """Everything the host hands in; the defaults are what cards does alone."""

    clothing_allowance: ClothingAllowance | None = None  # None: nothing allowed, nothing used


def install(app: Flask, hooks: CardsHooks) -> None:
    """Give `app` its hooks (the composition root calls this once per app)."""
    app.extensions["cards"] = hooks


def current() -> CardsHooks:
    """The hooks of the running app, or the defaults."""
    hooks = current_app.extensions.get("cards")
    return hooks if isinstance(hooks, CardsHooks) else CardsHooks()
