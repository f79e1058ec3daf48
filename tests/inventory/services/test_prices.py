"""Dated price changes."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

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
