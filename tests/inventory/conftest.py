"""Fixtures of the inventory tests: a product factory and an actor."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.auth import Actor
from core.money import Money
from inventory.models import Product
from inventory.services.products import create_product
from inventory.services.scale import check_digit

ACTOR = Actor(None, "test:inventory")


def ean13(body12: str) -> str:
    return body12 + check_digit(body12)


@pytest.fixture
def actor() -> Actor:
    return ACTOR


@pytest.fixture
def make_product(session: Session, clock: Any) -> Callable[..., Product]:
    counter = iter(range(1, 100_000))

    def make(**kw: Any) -> Product:
        n = next(counter)
        values: dict[str, Any] = {
            "barcode": ean13(f"690000{n:06d}"),
            "name": f"测试商品{n}",
            "spec": "500g",
            "unit": "袋",
            "category": "粮油",
            "list_price": Money.parse("10.00"),
            "discount_rate": Decimal("0.05"),
            "at": clock(),
            "actor": ACTOR,
        }
        values.update(kw)
        return create_product(session, **values)

    return make
