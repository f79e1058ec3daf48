"""Quick keys and open-price items: the grid the terminal shows, a price typed at the counter
within the product's bounds, and above its threshold only with a supervisor's authorisation."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.auth import Role
from core.errors import ValidationError
from core.money import Money
from inventory.models import Product
from inventory.services.counter_keys import CounterKeys, set_counter_keys
from inventory.services.products import create_product
from pos.models import Sale
from tests.pos.conftest import ACTOR, Store


@pytest.fixture
def odds(session: Any, settings: Any, clock: Any, store: Store) -> Product:
    """Donated odds and ends without a barcode: price typed at the counter, up to 100.00,
    above 50.00 with a supervisor; quick key 1."""
    product = create_product(
        session,
        barcode=None,
        name="捐赠杂货",
        unit="件",
        list_price=Money.parse("1.00"),
        discount_rate=Decimal("0.10"),
        source="donated",
        at=clock(),
        actor=ACTOR,
        settings=settings,
    )
    keys = CounterKeys(
        quick_key=1,
        open_price=True,
        max_price=Money.parse("100.00"),
        supervisor_above=Money.parse("50.00"),
    )
    set_counter_keys(session, product, keys, at=clock(), actor=ACTOR)
    set_counter_keys(session, store.rice, CounterKeys(quick_key=2), at=clock(), actor=ACTOR)
    session.commit()
    return product


def _sale(lines: list[dict[str, Any]], cash: str) -> dict[str, Any]:
    return {
        "client_ref": str(uuid.uuid4()),
        "lines": lines,
        "payments": [{"method": "cash", "amount": cash}],
    }


def test_the_grid_lists_the_keys_in_order(api: Any, odds: Product, store: Store) -> None:
    items = api(Role.CASHIER).get("/api/v1/quick-keys").get_json()["items"]
    assert [(i["key"], i["product"]["name"], i["open_price"]) for i in items] == [
        (1, "捐赠杂货", True),
        (2, "东北大米", False),
    ]
    assert (items[0]["max_price"], items[0]["supervisor_above"]) == ("100.00", "50.00")


def test_a_typed_price_within_bounds_is_sold_at_it(
    api: Any, odds: Product, store: Store, session: Any
) -> None:
    cashier = api(Role.CASHIER)
    line = {"barcode": odds.barcode, "qty": 2, "price": "3.50"}
    quote = cashier.post("/api/v1/quote", json={"lines": [line]}).get_json()
    assert (quote["lines"][0]["list_price"], quote["total"]) == ("3.50", "7.00")
    assert quote["lines"][0]["open_price"] is True
    answer = cashier.post("/api/v1/sales", json=_sale([line], "7.00"))
    assert answer.status_code == 201, answer.get_json()
    session.rollback()
    sold = session.scalars(select(Sale)).one().lines[0]
    assert (sold.unit_list_fen, sold.total_fen) == (350, 700)


@pytest.mark.parametrize(
    ("price", "words"), [(None, "请输入单价"), ("0.00", "大于零"), ("100.01", "不在")]
)
def test_a_missing_or_out_of_bounds_price_is_refused(
    api: Any, odds: Product, price: str | None, words: str
) -> None:
    line: dict[str, Any] = {"barcode": odds.barcode}
    if price is not None:
        line["price"] = price
    answer = api(Role.CASHIER).post("/api/v1/quote", json={"lines": [line]})
    assert answer.status_code == 400
    assert words in answer.get_json()["error"]["message"]


def test_a_price_on_a_fixed_price_product_is_refused(api: Any, odds: Product, store: Store) -> None:
    line = {"barcode": store.rice.barcode, "price": "1.00"}
    answer = api(Role.CASHIER).post("/api/v1/quote", json={"lines": [line]})
    assert answer.status_code == 400
    assert "不是手工定价商品" in answer.get_json()["error"]["message"]


def test_above_the_threshold_only_with_a_supervisor(api: Any, odds: Product, session: Any) -> None:
    cashier = api(Role.CASHIER)
    line: dict[str, Any] = {"barcode": odds.barcode, "price": "80.00"}
    refused = cashier.post("/api/v1/sales", json=_sale([line], "80.00"))
    assert refused.status_code == 403
    assert "需要店长授权" in refused.get_json()["error"]["message"]
    assert (
        cashier.post(
            "/api/v1/open-price/approve", json={"barcode": odds.barcode, "price": "80.00"}
        ).status_code
        == 403
    )  # a cashier cannot authorise it
    boss = api(Role.SUPERVISOR)
    approved = boss.post(
        "/api/v1/open-price/approve", json={"barcode": odds.barcode, "price": "80.00"}
    )
    assert approved.status_code == 200, approved.get_json()
    approval = approved.get_json()["approval"]
    # the authorisation is of this price: another price with it is still refused
    other = cashier.post(
        "/api/v1/sales", json=_sale([{**line, "price": "90.00", "approval": approval}], "90.00")
    )
    assert other.status_code == 403
    sold = cashier.post("/api/v1/sales", json=_sale([{**line, "approval": approval}], "80.00"))
    assert sold.status_code == 201, sold.get_json()
    session.rollback()
    assert session.scalars(select(AuditEvent).where(AuditEvent.kind == "price_change")).all()


def test_the_back_office_refuses_a_taken_key_and_a_missing_bound(
    session: Any, odds: Product, store: Store, clock: Any
) -> None:
    with pytest.raises(ValidationError, match="已给了 捐赠杂货"):
        set_counter_keys(session, store.oil, CounterKeys(quick_key=1), at=clock(), actor=ACTOR)
    with pytest.raises(ValidationError, match="最高单价"):
        set_counter_keys(session, store.oil, CounterKeys(open_price=True), at=clock(), actor=ACTOR)
    with pytest.raises(ValidationError, match="1 至 40"):
        set_counter_keys(session, store.oil, CounterKeys(quick_key=41), at=clock(), actor=ACTOR)


def test_the_back_office_page_sets_a_key_and_says_what_is_wrong(
    client: Any, login: Any, store: Store, session: Any
) -> None:
    login(Role.SUPERVISOR)
    form = {"barcode": store.oil.barcode, "quick_key": "3", "open_price": "true"}
    refused = client.post("/inventory/quick-keys", data=form)
    assert refused.status_code == 400
    assert "最高单价" in refused.get_data(as_text=True)
    saved = client.post("/inventory/quick-keys", data={**form, "max_price": "40.00"})
    assert saved.status_code == 302
    page = client.get("/inventory/quick-keys").get_data(as_text=True)
    assert "鲁花菜籽油" in page and "40.00" in page
    session.rollback()
    oil = session.get(Product, store.oil.id)
    assert (oil.quick_key, oil.open_price, oil.open_price_max_fen) == (3, True, 4000)
