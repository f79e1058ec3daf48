"""Stock movements: the cached level, signs, blocking below zero, append-only, the actor."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.auth import Actor
from core.errors import Conflict, ValidationError
from core.money import Money
from inventory.models import Product, StockMovement
from inventory.services.stock import record_movement, verify_stock

from ..conftest import ACTOR

M = Money.parse


def test_movements_move_the_cached_stock_and_verify(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    p = make_product()
    record_movement(
        session,
        p,
        Decimal(10),
        "receipt",
        at=clock(),
        actor=ACTOR,
        unit_cost=M("8.00"),
        supplier="郑州粮油公司",
    )
    record_movement(session, p, Decimal(-3), "sale", at=clock(), actor=ACTOR, reference="S1")
    record_movement(session, p, Decimal(1), "refund", at=clock(), actor=ACTOR)
    record_movement(session, p, Decimal(-2), "writeoff", at=clock(), actor=ACTOR, reason="过期")
    assert p.stock_milli == 6000 and p.stock == Decimal(6)
    result = verify_stock(session)
    assert result.ok, result.problems
    session.execute(update(Product).where(Product.id == p.id).values(stock_milli=1))
    result = verify_stock(session)
    assert not result.ok and p.barcode in result.problems[0]


@pytest.mark.parametrize(
    ("kind", "qty"), [("sale", 1), ("receipt", -1), ("writeoff", 2), ("refund", -1), ("x", 1)]
)
def test_movement_signs_are_checked(
    make_product: Callable[..., Product], session: Session, clock: Any, kind: str, qty: int
) -> None:
    with pytest.raises(ValidationError):
        record_movement(session, make_product(), Decimal(qty), kind, at=clock(), actor=ACTOR)


def test_selling_below_zero_allowed_unless_blocked(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    p = make_product(name="鲁花菜籽油")
    record_movement(session, p, Decimal(-1), "sale", at=clock(), actor=ACTOR)
    assert p.stock_milli == -1000
    with pytest.raises(Conflict, match=r"鲁花菜籽油.*现有 -1"):
        record_movement(
            session, p, Decimal(-1), "sale", at=clock(), actor=ACTOR, block_negative=True
        )
    assert p.stock_milli == -1000
    assert session.scalar(select(func.count(StockMovement.id))) == 1


def test_movements_are_append_only(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    m = record_movement(session, make_product(), Decimal(5), "receipt", at=clock(), actor=ACTOR)
    m.qty_milli = 1
    with pytest.raises(RuntimeError, match="只能追加"):
        session.flush()


def test_the_database_refuses_to_edit_or_delete_movements_and_prices(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    """Past the ORM (a hand-written statement), a trigger still refuses."""
    p = make_product()
    record_movement(session, p, Decimal(5), "receipt", at=clock(), actor=ACTOR)
    session.commit()
    for statement in (
        "UPDATE stock_movement SET qty_milli = 1",
        "DELETE FROM stock_movement",
        "UPDATE product_price SET list_price_fen = 1",
        "DELETE FROM product_price",
    ):
        with pytest.raises(DBAPIError, match="只能追加"):
            session.execute(text(statement))
        session.rollback()


def test_actor_is_recorded(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    m = record_movement(
        session, make_product(), Decimal(1), "receipt", at=clock(), actor=Actor(None, "cli:li")
    )
    assert m.actor_name == "cli:li" and m.at == clock()
