"""What the cards package is handed by the app that hosts it (pos/app.py builds it)."""

from __future__ import annotations

from dataclasses import dataclass, field
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
class StoreSales:
    """One store's card sales in a period: card money taken and returned, and the count."""

    spent_fen: int = 0
    refunded_fen: int = 0
    purchases: int = 0


@dataclass(frozen=True)
class SalesFigures:
    """Card sales in a period, as the fund statement shows them (the host's sales records):
    `purchases` card sales (less voids), `shoppers` distinct accounts among them,
    `charity_discount_fen` list minus charity price over card sales net of refunds, per store."""

    purchases: int = 0
    shoppers: int = 0
    charity_discount_fen: int = 0
    stores: dict[str, StoreSales] = field(default_factory=dict)


class SalesFiguresHook(Protocol):
    """How the host answers the card-sale figures between two instants (end exclusive)."""

    def __call__(self, session: Session, start: datetime, end: datetime) -> SalesFigures: ...


class ClothingGivenHook(Protocol):
    """How the host answers the clothing items handed out between two instants, net of returns."""

    def __call__(self, session: Session, start: datetime, end: datetime) -> int: ...


@dataclass(frozen=True)
class CardsHooks:
    """Everything the host hands in; the defaults are what cards does alone."""

    clothing_allowance: ClothingAllowance | None = None  # None: nothing allowed, nothing used
    sales_figures: SalesFiguresHook | None = None  # None: no sales known (all zero)
    clothing_given: ClothingGivenHook | None = None  # None: no clothing handed out


def install(app: Flask, hooks: CardsHooks) -> None:
    """Give `app` its hooks (the composition root calls this once per app)."""
    app.extensions["cards"] = hooks


def current() -> CardsHooks:
    """The hooks of the running app, or the defaults."""
    hooks = current_app.extensions.get("cards")
    return hooks if isinstance(hooks, CardsHooks) else CardsHooks()
