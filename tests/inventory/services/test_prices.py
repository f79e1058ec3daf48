"""Dated price changes."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core import audit
from core.errors import ValidationError
from core.money import Money
from inventory.models import Product
from inventory.services.prices import price_at, price_history
from inventory.services.products import update_product

from ..conftest import ACTOR

M = Money.parse


def test_price_change_is_a_dated_row(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    p = make_product(list_price=M("9.90"))
    first = clock()
    clock.advance(days=3)
    changed = update_product(
        session, p, list_price=M("10.90"), discount_rate=Decimal("0.10"), at=clock(), actor=ACTOR
    )
    assert changed and p.charity_price == M("9.81")
    history = price_history(session, p)
    assert [(h.list_price, h.discount_rate) for h in history] == [
        (M("9.90"), Decimal("0.05")),
        (M("10.90"), Decimal("0.1")),
    ]
    assert price_at(session, p, first).charity_price == M("9.41")  # type: ignore[union-attr]
    assert update_product(session, p, list_price=M("10.90"), at=clock(), actor=ACTOR) == []
    assert len(price_history(session, p)) == 2
    with pytest.raises(ValidationError, match="超出允许范围"):
        update_product(session, p, discount_rate=Decimal("0.2"), at=clock(), actor=ACTOR)


def test_every_price_change_is_an_audit_event(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    """`price_change` in the same transaction: who, the product, before and after; nothing is
    logged when nothing changed, or when the change is refused."""
    p = make_product(list_price=M("9.90"))
    update_product(
        session,
        p,
        list_price=M("10.90"),
        discount_rate=Decimal("0.10"),
        reason="供货价上涨",
        at=clock(),
        actor=ACTOR,
        address="10.0.0.9",
    )
    update_product(session, p, list_price=M("10.90"), at=clock(), actor=ACTOR)
    with pytest.raises(ValidationError):
        update_product(session, p, discount_rate=Decimal("0.2"), at=clock(), actor=ACTOR)
    (event,) = audit.search(session, kinds=["price_change"])
    assert event.subject == f"product:{p.barcode}" and event.actor == ACTOR.name
    assert event.address == "10.0.0.9"
    assert event.detail == {
        "name": p.name,
        "reason": "供货价上涨",
        "list_price": ["9.90", "10.90"],
        "discount_rate": ["0.05", "0.10"],
    }
