"""Back-office pages (supervisor): search, edit, receiving, stocktake, write-off, reports, labels."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import Role
from core.money import Money
from inventory.models import Product, StockMovement
from inventory.services.products import get_product
from inventory.services.stock import record_movement

from .conftest import ACTOR


@pytest.fixture
def oil(session: Session, make_product: Callable[..., Product], clock: Any) -> Product:
    p = make_product(
        barcode="6985430337657",
        name="鲁花菜籽油",
        spec="1.8L",
        unit="瓶",
        list_price=Money.parse("9.90"),
        reorder_level=Decimal(10),
    )
    record_movement(session, p, Decimal(5), "receipt", at=clock(), actor=ACTOR)
    session.commit()
    return p


def text(answer: Any) -> str:
    return answer.get_data(as_text=True)


def test_cashier_cannot_open_back_office(client: Any, login: Callable[..., Any]) -> None:
    login(Role.CASHIER)
    assert client.get("/inventory/products").status_code == 403


def test_search_edit_and_price_history(
    client: Any, login: Callable[..., Any], oil: Product, session: Session
) -> None:
    login(Role.SUPERVISOR)
    page = text(client.get("/inventory/products?q=菜籽"))
    assert "鲁花菜籽油" in page and "￥9.41" in page
    form = {
        "name": "鲁花菜籽油",
        "spec": "1.8L",
        "unit": "瓶",
        "category": "粮油",
        "list_price": "10.90",
        "discount_rate": "0.08",
        "source": "purchased",
        "reorder_level": "10",
        "active": "1",
        "reason": "供货价上涨",
    }
    answer = client.post(f"/inventory/products/{oil.id}", data=form)
    assert answer.status_code == 302
    page = text(client.get(f"/inventory/products/{oil.id}"))
    assert "供货价上涨" in page and "10.03" in page  # 10.90 x 0.92 = 10.028
    bad = client.post(f"/inventory/products/{oil.id}", data={**form, "discount_rate": "0.5"})
    assert bad.status_code == 400 and "超出允许范围" in text(bad)


def test_new_product_with_instore_code(
    client: Any, login: Callable[..., Any], session: Session
) -> None:
    login(Role.SUPERVISOR)
    answer = client.post(
        "/inventory/products/new",
        data={
            "name": "散装鸡蛋",
            "unit": "kg",
            "list_price": "7.60",
            "weighed": "1",
            "category": "副食",
            "source": "purchased",
            "reorder_level": "0",
        },
    )
    assert answer.status_code == 302
    egg = session.scalar(select(Product).where(Product.name == "散装鸡蛋"))
    assert egg is not None and egg.barcode.startswith("29") and egg.weighed and egg.plu


def test_receiving_sheet_scan_then_confirm_as_donation(
    client: Any, login: Callable[..., Any], oil: Product, session: Session
) -> None:
    login(Role.SUPERVISOR)
    page = client.post(
        "/inventory/receive", data={"action": "add", "scan": "6985430337657", "scan_qty": "3"}
    )
    assert "鲁花菜籽油" in text(page)
    unknown = client.post(
        "/inventory/receive",
        data={
            "action": "add",
            "scan": "6900000000000",
            "line_barcode": "6985430337657",
            "line_qty": "3",
            "line_cost": "",
        },
    )
    assert "未找到条码为 6900000000000" in text(unknown) and "鲁花菜籽油" in text(unknown)
    answer = client.post(
        "/inventory/receive",
        data={
            "action": "confirm",
            "line_barcode": "6985430337657",
            "line_qty": "3",
            "line_cost": "9.00",
            "donation": "1",
            "party": "爱心企业",
        },
    )
    assert answer.status_code == 302
    session.expire_all()
    assert get_product(session, "6985430337657").stock == Decimal(8)  # type: ignore[union-attr]
    m = session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert m is not None and m.donor == "爱心企业" and m.estimated_value == Money.parse("27.00")


def test_receiving_a_weighed_donation_values_the_fraction(
    client: Any, login: Callable[..., Any], make_product: Callable[..., Product], session: Session
) -> None:
    """2.5 kg donated at 4.00 a kg is worth 10.00 (it was booked as 4.00 x int(2.5) = 8.00)."""
    rice = make_product(barcode=None, name="散装大米", unit="kg", weighed=True)
    session.commit()
    login(Role.SUPERVISOR)
    sheet = {"line_barcode": rice.barcode, "line_qty": "2.5", "line_cost": "4.00", "donation": "1"}
    answer = client.post("/inventory/receive", data={**sheet, "action": "confirm"})
    assert answer.status_code == 400 and "捐赠方" in text(answer)  # a donation names its donor
    answer = client.post(
        "/inventory/receive", data={**sheet, "action": "confirm", "party": "爱心人士"}
    )
    assert answer.status_code == 302
    session.expire_all()
    m = session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert m is not None and m.qty == Decimal("2.5") and m.donor == "爱心人士"
    assert m.estimated_value == Money.parse("10.00") and m.unit_cost is None
    assert m.reason == "捐赠入库" and (m.reference or "").startswith("RC")
    session.rollback()
    bad = client.post(
        "/inventory/receive",
        data={**sheet, "line_qty": "2.5x", "action": "confirm", "party": "爱心人士"},
    )
    assert bad.status_code == 400 and "第 1 行" in text(bad) and "2.5x" in text(bad)


def test_stocktake_sheet_records_differences(
    client: Any, login: Callable[..., Any], oil: Product, session: Session
) -> None:
    login(Role.SUPERVISOR)
    oil_id = oil.id
    page = text(client.get("/inventory/stocktake?category=粮油"))
    assert "鲁花菜籽油" in page
    answer = client.post(
        "/inventory/stocktake",
        data={
            "category": "粮油",
            f"counted_{oil.id}": "3",
            f"reason_{oil.id}": "破损",
            "reason": "盘点",
        },
    )
    assert answer.status_code == 302
    session.expire_all()
    m = session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (
        m is not None and m.kind == "count" and m.qty == Decimal(-2) and "破损" in (m.reason or "")
    )
    session.rollback()  # end the read: SQLite's BEGIN IMMEDIATE would block the next request
    bad = client.post("/inventory/stocktake", data={"category": "粮油", f"counted_{oil_id}": "abc"})
    assert bad.status_code == 400


def test_writeoff_and_reports(
    client: Any, login: Callable[..., Any], oil: Product, session: Session
) -> None:
    login(Role.SUPERVISOR)
    answer = client.post(
        "/inventory/writeoff", data={"barcode": "6985430337657", "qty": "7", "reason": "过期"}
    )
    assert answer.status_code == 302
    page = text(client.get("/inventory/reports"))
    assert "低库存" in page and "负库存" in page and page.count("鲁花菜籽油") >= 2
    history = text(client.get(f"/inventory/products/{oil.id}/movements"))
    assert "报损" in history and "-2" in history


def test_labels_for_selected_and_received_today(
    client: Any, login: Callable[..., Any], oil: Product
) -> None:
    login(Role.SUPERVISOR)
    page = text(client.get(f"/inventory/labels?id={oil.id}"))
    assert "鲁花菜籽油" in page and "1.8L" in page and "<svg" in page and "9.41" in page
    today = text(client.get("/inventory/labels?received=today"))
    assert "鲁花菜籽油" in today
    assert client.get("/inventory/labels?received=2026-13-01").status_code == 400
