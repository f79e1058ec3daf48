"""The products JSON API: lookup, search, roles, errors, and stock operations."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core.auth import Role
from core.config import Settings
from core.money import Money
from inventory.models import Product
from inventory.scale import make_scale_code
from inventory.services import record_movement

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


def test_openapi_lists_the_operations(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/products/{barcode}" in paths and "/api/v1/products" in paths
