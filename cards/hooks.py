"""What the cards package is handed by the app that hosts it (pos/app.py builds it)."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from flask import Flask, current_app
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ClothingStatus:  # moved here from cards/services.py
    quarter: str
    allowed: int
    used: int
    last_taken_at: datetime | None
    next_available: date | None


class ClothingAllowance(Protocol):
    def __call__(self, session: Session, beneficiary_id: int, at: datetime) -> ClothingStatus: ...


@dataclass(frozen=True)
class CardsHooks:
    clothing_allowance: ClothingAllowance | None = None  # None: nothing allowed, nothing used


def install(app: Flask, hooks: CardsHooks) -> None:
    app.extensions["cards"] = hooks


def current() -> CardsHooks:
    return current_app.extensions.get("cards") or CardsHooks()
