"""Concurrent sales of one product from several terminals add up (the cached level moves by an
atomic UPDATE), and block_negative never lets two of them both take the last unit."""

import threading
from decimal import Decimal
from typing import Any

import pytest

from core.db import Database
from core.errors import Conflict
from core.money import Money
from inventory.models import Product
from inventory.services.products import create_product
from inventory.services.stock import record_movement, verify_stock

from ..conftest import ACTOR


@pytest.mark.parametrize("block", [False, True])
def test_parallel_sales_add_up(database: Database, clock: Any, block: bool) -> None:
    with database.transaction() as s:
        p = create_product(
            s, barcode="6985430337657", name="菜籽油", unit="瓶", list_price=Money(990),
            at=clock(), actor=ACTOR,
        )  # fmt: skip
        record_movement(s, p, Decimal(10), "receipt", at=clock(), actor=ACTOR)
        product_id = p.id
    refused: list[Exception] = []
    errors: list[Exception] = []

    def sell() -> None:
        try:
            for _ in range(3):
                with database.transaction() as s:
                    product = s.get(Product, product_id)
                    assert product is not None
                    record_movement(
                        s, product, Decimal(-1), "sale", at=clock(), actor=ACTOR,
                        block_negative=block,
                    )  # fmt: skip
        except Conflict as exc:
            refused.append(exc)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sell) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with database.session() as s:
        product = s.get(Product, product_id)
        assert product is not None
        assert verify_stock(s).ok
        if block:
            assert product.stock_milli == 0 and refused
        else:
            assert product.stock_milli == (10 - 18) * 1000
