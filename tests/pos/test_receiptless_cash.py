"""Returns without the receipt of a public (cash) sale: today's recent sales without a card,
a supervisor's refund from one of them back to cash, capped by counter.receiptless_cash_limit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from core.audit import AuditEvent
from core.auth import Role
from tests.pos.conftest import Store


def _cash_sale(cashier: Any, barcode: str, qty: int, paid: str) -> str:
    answer = cashier.post(
        "/api/v1/sales",
        json={
            "client_ref": str(uuid.uuid4()),
            "lines": [{"barcode": barcode, "qty": qty}],
            "payments": [{"method": "cash", "amount": paid}],
        },
    )
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["sale_no"])


def _card_sale(cashier: Any, store: Store) -> str:
    answer = cashier.post(
        "/api/v1/sales",
        json={
            "client_ref": str(uuid.uuid4()),
            "card_no": store.card.card_no,
            "lines": [{"barcode": store.rice.barcode, "qty": 1}],
            "payments": [{"method": "card", "amount": "9.50"}],
        },
    )
    assert answer.status_code == 201, answer.get_json()
    return str(answer.get_json()["sale_no"])


def test_todays_public_sales_newest_first_without_card_sales(
    api: Any, store: Store, clock: Any
) -> None:
    yesterday = _cash_sale(api(Role.CASHIER), store.rice.barcode, 1, "10.00")
    clock.advance(days=1)
    cashier = api(Role.CASHIER)  # signed in today, on a shift of today
    first = _cash_sale(cashier, store.rice.barcode, 1, "20.00")  # 10.00 change
    _card_sale(cashier, store)
    second = _cash_sale(cashier, store.rice.barcode, 2, "20.00")
    items = cashier.get("/api/v1/sales?public=1").get_json()["items"]
    assert [i["sale_no"] for i in items] == [second, first]
    assert yesterday not in [i["sale_no"] for i in items]
    assert (items[1]["total"], items[1]["paid_cash"], items[1]["paid_card"]) == (
        "10.00",
        "10.00",
        "0.00",
    )


def test_at_most_twenty_public_sales(api: Any, store: Store) -> None:
    cashier = api(Role.CASHIER)
    numbers = [_cash_sale(cashier, store.rice.barcode, 1, "10.00") for _ in range(21)]
    items = cashier.get("/api/v1/sales?public=1").get_json()["items"]
    assert [i["sale_no"] for i in items] == numbers[::-1][:20]


def test_the_query_takes_a_card_or_public_not_both(api: Any, store: Store) -> None:
    cashier = api(Role.CASHIER)
    for url in ("/api/v1/sales", f"/api/v1/sales?public=1&card_no={store.card.card_no}"):
        answer = cashier.get(url)
        assert answer.status_code in (400, 422), url
        assert answer.get_json()["error"]["code"] == "validation_error"
        assert "二选一" in answer.get_json()["error"]["message"]


def test_a_supervisor_refunds_a_public_sale_to_cash_and_it_is_audited(
    api: Any, store: Store, session: Any
) -> None:
    cashier = api(Role.CASHIER)
    sale_no = _cash_sale(cashier, store.rice.barcode, 2, "50.00")
    body = {
        "reason": "顾客没带小票",
        "receiptless": True,
        "lines": [{"barcode": store.rice.barcode, "qty": "1"}],
    }
    refused = cashier.post(f"/api/v1/sales/{sale_no}/refund", json=body)
    assert refused.status_code == 403
    answer = api(Role.SUPERVISOR).post(f"/api/v1/sales/{sale_no}/refund", json=body)
    assert answer.status_code == 201, answer.get_json()
    out = answer.get_json()
    assert (out["total"], out["cash"], out["card"], out["qr"]) == ("10.00", "10.00", "0.00", "0.00")
    assert str(store.stock(session, store.rice)) in ("19", "19.000")  # 20 - 2 + 1
    event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "refund")).one()
    assert event.subject == f"sale:{sale_no}"
    assert f'"refund_no": "{out["refund_no"]}"' in event.detail
    assert '"receiptless": true' in event.detail
    listed = cashier.get("/api/v1/sales?public=1").get_json()["items"][0]
    assert (listed["sale_no"], listed["refunded"]) == (sale_no, "10.00")


def test_above_the_limit_is_refused_and_nothing_changes(
    api: Any, store: Store, session: Any, app: Any, settings: Any
) -> None:
    from core.web import app_state

    app_state(app).settings = settings.with_overrides(counter={"receiptless_cash_limit": "15.00"})
    cashier = api(Role.CASHIER)
    sale_no = _cash_sale(cashier, store.rice.barcode, 2, "20.00")
    boss = api(Role.SUPERVISOR)
    whole = boss.post(
        f"/api/v1/sales/{sale_no}/refund", json={"reason": "无小票", "receiptless": True}
    )
    assert 400 <= whole.status_code < 500
    error = whole.get_json()["error"]
    assert error["code"] == "validation_error"
    assert "最多退 15.00" in error["message"] and sale_no in error["message"]
    assert "20.00" in error["message"]
    assert str(store.stock(session, store.rice)) in ("18", "18.000")
    one = {
        "reason": "无小票",
        "receiptless": True,
        "lines": [{"barcode": store.rice.barcode, "qty": "1"}],
    }
    assert boss.post(f"/api/v1/sales/{sale_no}/refund", json=one).status_code == 201
    again = boss.post(f"/api/v1/sales/{sale_no}/refund", json=one)  # 10.00 + 10.00 > 15.00
    assert 400 <= again.status_code < 500 and "已退 10.00" in again.get_json()["error"]["message"]
    # with the receipt the limit does not apply
    assert (
        boss.post(f"/api/v1/sales/{sale_no}/refund", json={"reason": "凭小票"}).status_code == 201
    )


def test_a_public_sale_of_an_earlier_day_needs_the_receipt(
    api: Any, store: Store, clock: Any
) -> None:
    sale_no = _cash_sale(api(Role.CASHIER), store.rice.barcode, 1, "10.00")
    clock.advance(days=1)
    answer = api(Role.SUPERVISOR).post(
        f"/api/v1/sales/{sale_no}/refund", json={"reason": "无小票", "receiptless": True}
    )
    assert 400 <= answer.status_code < 500
    assert "只限当天" in answer.get_json()["error"]["message"]


def test_a_card_sale_without_the_receipt_goes_back_to_the_card_without_the_cash_limit(
    api: Any, store: Store, app: Any, settings: Any, session: Any
) -> None:
    from core.web import app_state

    app_state(app).settings = settings.with_overrides(counter={"receiptless_cash_limit": "1.00"})
    sale_no = _card_sale(api(Role.CASHIER), store)
    answer = api(Role.SUPERVISOR).post(
        f"/api/v1/sales/{sale_no}/refund", json={"reason": "卡找回的销售", "receiptless": True}
    )
    assert answer.status_code == 201, answer.get_json()
    assert (answer.get_json()["card"], answer.get_json()["cash"]) == ("9.50", "0.00")
    assert str(store.balance(session)) == "50.00"
