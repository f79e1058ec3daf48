"""Receiving: a purchase or a donation, and what a donated line is worth."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.errors import ValidationError
from core.money import Money
from inventory.models import Product
from inventory.services.receiving import donation_value, receive_stock

from ..conftest import ACTOR

M = Money.parse


@pytest.mark.parametrize(
    ("unit", "qty", "value"),
    [
        ("4.00", "2.5", "10.00"),  # was 4.00 x int(2.5) = 8.00 on the receiving page
        ("4.00", "3", "12.00"),
        ("5.68", "1.235", "7.01"),  # 7.0148
        ("0.20", "0.125", "0.03"),  # 2.5 fen rounds half up
        ("1.00", "0.333", "0.33"),
        ("0.00", "2.5", "0.00"),
    ],
)
def test_donation_value_is_unit_times_quantity_half_up(unit: str, qty: str, value: str) -> None:
    assert donation_value(M(unit), Decimal(qty)) == M(value)


def test_a_donation_by_unit_value_or_whole_line(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    rice = make_product(barcode=None, unit="kg", weighed=True)
    m = receive_stock(
        session, rice, Decimal("2.5"), at=clock(), actor=ACTOR, unit_cost=M("4.00"), donor="张三"
    )
    assert (m.estimated_value, m.unit_cost, m.donor, m.supplier) == (M("10.00"), None, "张三", None)
    assert m.reason == "捐赠入库" and m.kind == "receipt" and rice.stock == Decimal("2.5")
    m = receive_stock(
        session, rice, Decimal(1), at=clock(), actor=ACTOR, estimated_value=M("6.00"), donor="李四"
    )
    assert m.estimated_value == M("6.00") and m.unit_cost is None
    m = receive_stock(session, rice, Decimal(1), at=clock(), actor=ACTOR, donor="王五")
    assert m.estimated_value is None and m.donor == "王五"


def test_a_purchase_keeps_its_unit_cost(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    oil = make_product()
    m = receive_stock(
        session, oil, Decimal(4), at=clock(), actor=ACTOR, unit_cost=M("9.00"), supplier=" 粮油 "
    )
    assert (m.unit_cost, m.supplier, m.donor, m.estimated_value) == (M("9.00"), "粮油", None, None)
    assert m.reason == "采购入库" and oil.stock == Decimal(4)
    m = receive_stock(session, oil, Decimal(1), at=clock(), actor=ACTOR, reason="期初库存")
    assert m.reason == "期初库存" and m.unit_cost is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit_cost": M("4.00"), "estimated_value": M("8.00"), "donor": "x"}, "不符"),
        ({"estimated_value": M("8.00")}, "只用于捐赠"),
        ({"donor": "  "}, "请填写捐赠方"),
        ({"donor": "x", "supplier": "y"}, "不填供应商"),
    ],
)
def test_receipts_that_mean_two_things_are_refused(
    session: Session,
    make_product: Callable[..., Product],
    clock: Any,
    kwargs: dict[str, Any],
    message: str,
) -> None:
    rice = make_product(barcode=None, unit="kg", weighed=True)
    with pytest.raises(ValidationError, match=message):
        receive_stock(session, rice, Decimal("2.5"), at=clock(), actor=ACTOR, **kwargs)
    assert rice.stock_milli == 0


def test_pieces_stay_whole(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    oil = make_product()
    with pytest.raises(ValidationError, match="整数"):
        receive_stock(session, oil, Decimal("2.5"), at=clock(), actor=ACTOR, donor="x")
