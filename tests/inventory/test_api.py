"""The products JSON API: lookup, search, roles, errors, and stock operations."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import Role
from core.config import Settings
from core.money import Money
from inventory.models import Product, StockMovement
from inventory.services.scale import make_scale_code
from inventory.services.stock import record_movement

from .conftest import ACTOR


def setup_products(session: Session, make_product: Callable[..., Product], clock: Any) -> Product:
    p = make_product(
        barcode="6985430337657",
        name="鲁花菜籽油",
        spec="1.8L",
        unit="瓶",
        list_price=Money.parse("9.90"),
        discount_rate=Decimal("0.05"),
    )
    record_movement(session, p, Decimal(16), "receipt", at=clock(), actor=ACTOR)
    make_product(barcode=None, name="外套", unit="件", list_price=Money(0), clothing=True)
    make_product(barcode=None, name="散装大米", unit="kg", weighed=True, list_price=Money(600))
    session.commit()
    return p


def test_lookup_answers_the_contract(
    api: Any, session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    setup_products(session, make_product, clock)
    answer = api(Role.CASHIER).get("/api/v1/products/6985430337657")
    assert answer.status_code == 200
    body = answer.get_json()
    expected = {
        "barcode": "6985430337657",
        "name": "鲁花菜籽油",
        "spec": "1.8L",
        "unit": "瓶",
        "list_price": "9.90",
        "charity_price": "9.41",
        "discount_rate": "0.05",
        "stock": 16,
        "clothing": False,
    }
    assert {k: body[k] for k in expected} == expected


def test_unknown_barcode_is_404_unknown_product(api: Any) -> None:
    answer = api(Role.CASHIER).get("/api/v1/products/6900000000000")
    assert answer.status_code == 404
    error = answer.get_json()["error"]
    assert error["code"] == "unknown_product" and "6900000000000" in error["message"]


def test_lookup_needs_sign_in(client: Any) -> None:
    answer = client.get("/api/v1/products/6985430337657")
    assert answer.status_code == 401 and answer.get_json()["error"]["code"] == "unauthorized"


def test_scale_barcode_lookup(
    api: Any, session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    setup_products(session, make_product, clock)
    code = make_scale_code(Settings().inventory, "00001", amount=Money.parse("3.00"))
    body = api(Role.CASHIER).get(f"/api/v1/products/{code}").get_json()
    assert body["name"] == "散装大米" and body["amount"] == "3.00" and body["qty"] == "0.500"
    assert body["stock"] == 0 and body["list_price"] == "6.00"


def test_search_by_name_and_clothing(
    api: Any, session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    setup_products(session, make_product, clock)
    authed = api(Role.BUREAU)
    items = authed.get("/api/v1/products?q=菜籽").get_json()["items"]
    assert [i["barcode"] for i in items] == ["6985430337657"]
    items = authed.get("/api/v1/products?q=6985").get_json()["items"]
    assert len(items) == 1
    clothes = authed.get("/api/v1/products?clothing=true").get_json()["items"]
    assert [i["name"] for i in clothes] == ["外套"] and clothes[0]["clothing"] is True
    assert clothes[0]["list_price"] == "0.00"
    bad = authed.get("/api/v1/products?clothing=maybe")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "validation_error"


def test_stock_operations_need_a_supervisor(
    api: Any, session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    setup_products(session, make_product, clock)
    cashier = api(Role.CASHIER)
    answer = cashier.post("/api/v1/products/6985430337657/receipts", json={"qty": 2})
    assert answer.status_code == 403
    boss = api(Role.SUPERVISOR)
    answer = boss.post(
        "/api/v1/products/6985430337657/receipts",
        json={"qty": 4, "donor": "爱心企业", "estimated_value": "39.60"},
    )
    assert answer.status_code == 201 and answer.get_json()["stock"] == 20
    answer = boss.post(
        "/api/v1/products/6985430337657/counts", json={"counted": 18, "reason": "破损未报"}
    )
    assert answer.get_json()["stock"] == 18
    answer = boss.post(
        "/api/v1/products/6985430337657/writeoffs", json={"qty": "1", "reason": "过期"}
    )
    assert answer.get_json()["stock"] == 17
    answer = boss.post(
        "/api/v1/products/6985430337657/writeoffs", json={"qty": "1.5", "reason": "x"}
    )
    assert answer.status_code == 400 and "整数" in answer.get_json()["error"]["message"]
    answer = boss.post("/api/v1/products/6985430337657/price", json={"discount_rate": "0.30"})
    assert answer.status_code == 400 and "超出允许范围" in answer.get_json()["error"]["message"]
    answer = boss.post("/api/v1/products/6985430337657/price", json={"list_price": "10.90"})
    assert answer.get_json()["charity_price"] == "10.36"
    history = boss.get("/api/v1/products/6985430337657/movements").get_json()
    assert [m["kind"] for m in history["items"]] == ["writeoff", "count", "receipt", "receipt"]


def test_receiving_a_weighed_donation_values_the_fraction(
    api: Any, session: Session, make_product: Callable[..., Product]
) -> None:
    """The receiving page's meaning, through the API: 2.5 kg donated at 4.00 a kg is worth 10.00;
    a whole-line value may be given instead, and both given must agree."""
    rice = make_product(barcode=None, name="散装大米", unit="kg", weighed=True)
    session.commit()
    boss = api(Role.SUPERVISOR)
    url = f"/api/v1/products/{rice.barcode}/receipts"
    answer = boss.post(url, json={"qty": "2.5", "unit_cost": "4.00", "donor": "爱心人士"})
    assert answer.status_code == 201 and answer.get_json()["stock"] == "2.500"
    session.rollback()
    m = session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert m is not None and m.qty == Decimal("2.5") and m.donor == "爱心人士"
    assert m.estimated_value == Money.parse("10.00") and m.unit_cost is None
    agreeing = {"qty": "2.5", "unit_cost": "4.00", "estimated_value": "10.00", "donor": "x"}
    assert boss.post(url, json=agreeing).status_code == 201
    for body, word in [
        ({**agreeing, "estimated_value": "8.00"}, "不符"),
        ({"qty": "1", "estimated_value": "8.00"}, "捐赠"),  # a purchase has no estimated value
        ({"qty": "1", "donor": " "}, "捐赠方"),
        ({"qty": "1", "donor": "x", "supplier": "y"}, "供应商"),
    ]:
        answer = boss.post(url, json=body)
        assert answer.status_code == 400, body
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error" and word in error["message"], error
    purchase = boss.post(url, json={"qty": "0.5", "unit_cost": "3.20", "supplier": "粮油公司"})
    assert purchase.status_code == 201 and purchase.get_json()["stock"] == "5.500"
    session.rollback()
    m = session.scalars(select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert m is not None and m.unit_cost == Money.parse("3.20") and m.estimated_value is None
    assert m.supplier == "粮油公司" and m.reason == "采购入库"


def test_openapi_lists_the_operations(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/products/{barcode}" in paths and "/api/v1/products" in paths
