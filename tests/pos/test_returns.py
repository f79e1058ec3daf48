"""Returns without the receipt: a card's recent sales, found by its number."""

from __future__ import annotations

import uuid
from typing import Any

from core.auth import Role
from tests.pos.conftest import Store


def test_a_cards_recent_sales_newest_first(api: Any, store: Store) -> None:
    cashier = api(Role.CASHIER)
    numbers = []
    for qty, paid in ((1, "9.50"), (2, "19.00")):
        answer = cashier.post(
            "/api/v1/sales",
            json={
                "client_ref": str(uuid.uuid4()),
                "card_no": store.card.card_no,
                "lines": [{"barcode": store.rice.barcode, "qty": qty}],
                "payments": [{"method": "card", "amount": paid}],
            },
        )
        assert answer.status_code == 201, answer.get_json()
        numbers.append(answer.get_json()["sale_no"])
    other = cashier.get(f"/api/v1/sales?card_no={store.other_card.card_no}").get_json()
    assert other == {"items": []}
    items = cashier.get(f"/api/v1/sales?card_no={store.card.card_no}").get_json()["items"]
    assert [i["sale_no"] for i in items] == numbers[::-1]
    assert (items[0]["total"], items[0]["paid_card"], items[0]["refunded"]) == (
        "19.00",
        "19.00",
        "0.00",
    )


def test_an_unknown_card_is_named(api: Any, store: Store) -> None:
    answer = api(Role.CASHIER).get("/api/v1/sales?card_no=1234567890123456")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "unknown_card"
