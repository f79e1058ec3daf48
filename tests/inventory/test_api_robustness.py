"""Bad amounts, rates and quantities to the products API: a 400 naming the field, not a 500, and
neither the price history nor the stock ledger changes. (These all answered 500 before: the views
parsed the text after the models had let it through.)"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth import Role
from core.money import Money
from inventory.models import Product, ProductPrice, StockMovement

BARCODE = "6985430337657"


@pytest.fixture
def product(session: Session, make_product: Callable[..., Product]) -> Product:
    p = make_product(barcode=BARCODE, list_price=Money.parse("9.90"), discount_rate=Decimal("0.05"))
    session.commit()
    return p


def ledger_state(session: Session) -> tuple[int, int, int]:
    session.rollback()
    movements = session.scalar(select(func.count()).select_from(StockMovement)) or 0
    prices = session.scalar(select(func.count()).select_from(ProductPrice)) or 0
    stock = session.scalar(select(Product.stock_milli).where(Product.barcode == BARCODE)) or 0
    return movements, prices, stock


BAD_AMOUNTS = ["", " ", "abc", "12.345", "1e3", "NaN", "Infinity", "１２.００", "1_000", "0x10",
               "99999999999999999999", "9" * 400, "😀"]  # fmt: skip
BAD_QTYS = ["", " ", "abc", "NaN", "Infinity", "0x10", "1e999999", "99999999999999999999",
            "0.0001", "😀", "\u3000"]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "base", "field"),
    [
        ("price", {"reason": "调价"}, "list_price"),
        ("receipts", {"qty": 1}, "unit_cost"),
        ("receipts", {"qty": 1, "donor": "爱心人士"}, "estimated_value"),
    ],
)
def test_bad_amounts_are_400_naming_the_field(
    api: Callable[..., Any],
    session: Session,
    product: Product,
    path: str,
    base: dict[str, Any],
    field: str,
) -> None:
    supervisor = api(Role.SUPERVISOR)
    before = ledger_state(session)
    for text in [*BAD_AMOUNTS, "-1.00"]:
        answer = supervisor.post(f"/api/v1/products/{BARCODE}/{path}", json={**base, field: text})
        assert answer.status_code == 400, (text, answer.get_data(as_text=True))
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error"
        assert error["message"].startswith(f"字段 {field}："), error["message"]
    assert ledger_state(session) == before


@pytest.mark.parametrize(
    ("path", "base", "field"),
    [
        ("receipts", {}, "qty"),
        ("writeoffs", {"reason": "破损"}, "qty"),
        ("counts", {"reason": "盘点"}, "counted"),
    ],
)
def test_bad_quantities_are_400_naming_the_field(
    api: Callable[..., Any],
    session: Session,
    product: Product,
    path: str,
    base: dict[str, Any],
    field: str,
) -> None:
    supervisor = api(Role.SUPERVISOR)
    before = ledger_state(session)
    for value in [*BAD_QTYS, 10**15, -(10**15), True]:
        answer = supervisor.post(f"/api/v1/products/{BARCODE}/{path}", json={**base, field: value})
        assert answer.status_code == 400, (value, answer.get_data(as_text=True))
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error"
        assert error["message"].startswith(f"字段 {field}："), error["message"]
    assert ledger_state(session) == before


@pytest.mark.parametrize("rate", ["1e999999", "9" * 400, "abc", "NaN", "1.5", "-0.05", "2%0"])
def test_bad_discount_rates_are_400_not_a_500(
    api: Callable[..., Any], session: Session, product: Product, rate: str
) -> None:
    # was: decimal.Overflow / InvalidOperation from rate arithmetic -> 500
    before = ledger_state(session)
    answer = api(Role.SUPERVISOR).post(
        f"/api/v1/products/{BARCODE}/price", json={"discount_rate": rate}
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"].startswith("字段 discount_rate：")
    assert ledger_state(session) == before


def test_good_input_still_works(
    api: Callable[..., Any], session: Session, product: Product
) -> None:
    supervisor = api(Role.SUPERVISOR)
    answer = supervisor.post(
        f"/api/v1/products/{BARCODE}/receipts",
        json={"qty": "12", "unit_cost": "3.50", "supplier": "粮油公司"},
    )
    assert answer.status_code == 201 and answer.get_json()["stock"] == 12
    answer = supervisor.post(
        f"/api/v1/products/{BARCODE}/price", json={"list_price": "10.00", "discount_rate": "8%"}
    )
    assert answer.status_code == 200
    assert answer.get_json()["charity_price"] == "9.20"
