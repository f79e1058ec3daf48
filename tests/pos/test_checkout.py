"""The contract's sale rules through the JSON API: prices, tenders, replays, refusals, refunds."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cards.services import ledger
from cards.services.beneficiaries import change_status
from cards.services.cards import freeze_card
from core.auth import Role
from core.money import Money
from pos.models import Sale
from pos.services.verify import verify_all
from tests.conftest import SHANGHAI, TEST_KEYS
from tests.pos.conftest import ACTOR


def sale(
    lines: list[dict[str, Any]],
    payments: list[dict[str, Any]] | None = None,
    card_no: str | None = None,
    ref: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_ref": ref or str(uuid.uuid4()),
        "lines": lines,
        "payments": payments or [],
    }
    if card_no:
        body["card_no"] = card_no
    return body


def card(amount: str) -> dict[str, str]:
    return {"method": "card", "amount": amount}


def cash(amount: str) -> dict[str, str]:
    return {"method": "cash", "amount": amount}


def sales_count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count(Sale.id)))


def test_card_sale_pays_the_charity_price(api, store, session) -> None:
    cashier = api(Role.CASHIER)
    answer = cashier.post(
        "/api/v1/sales",
        json=sale(
            [{"barcode": store.rice.barcode, "qty": 2}, {"barcode": store.oil.barcode, "qty": "1"}],
            [card("46.88")],
            store.card.card_no,
        ),
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    # rice 10.00 at 5% = 9.50 x2 = 19.00; oil 30.30 at 8% = 27.876 -> 27.88
    assert body["list_total"] == "50.30"
    assert body["total"] == "46.88"
    assert body["discount_total"] == "3.42"
    assert (body["paid_card"], body["paid_cash"], body["change"]) == ("46.88", "0.00", "0.00")
    assert body["card_balance"] == "3.12"
    assert body["receipt"]["status"] == "off"
    assert body["holder"] == "张*云"
    assert store.balance(session) == Money.parse("3.12")
    assert store.stock(session, store.rice) == Decimal(18)
    assert verify_all(session, TEST_KEYS)[0] == []


def test_replay_answers_the_same_sale_and_changes_nothing(api, store, session) -> None:
    cashier = api(Role.CASHIER)
    body = sale([{"barcode": store.rice.barcode}], [card("9.50")], store.card.card_no)
    first = cashier.post("/api/v1/sales", json=body)
    second = cashier.post("/api/v1/sales", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert second.get_json()["sale_no"] == first.get_json()["sale_no"]
    assert store.balance(session) == Money.parse("40.50")
    assert store.stock(session, store.rice) == Decimal(19)
    assert sales_count(session) == 1
    fetched = cashier.get(f"/api/v1/sales/{first.get_json()['sale_no']}").get_json()
    assert fetched["total"] == "9.50" and fetched["lines"][0]["charity_price"] == "9.50"


def test_without_card_list_price_cash_only_with_change(api, store) -> None:
    cashier = api(Role.CASHIER)
    answer = cashier.post(
        "/api/v1/sales", json=sale([{"barcode": store.rice.barcode}], [cash("20")])
    )
    body = answer.get_json()
    assert answer.status_code == 201
    assert (body["total"], body["discount_total"], body["change"]) == ("10.00", "0.00", "10.00")
    refused = cashier.post(
        "/api/v1/sales", json=sale([{"barcode": store.rice.barcode}], [card("10.00")])
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "payment_mismatch"


def test_card_and_cash_only_cash_gives_change(api, store, session) -> None:
    cashier = api(Role.CASHIER)
    # total 27.88 + 27.88 = 55.76; the card has 50.00; cash 10.00 -> change 4.24
    answer = cashier.post(
        "/api/v1/sales",
        json=sale(
            [{"barcode": store.oil.barcode, "qty": 2}],
            [card("50.00"), cash("10.00")],
            store.card.card_no,
        ),
    )
    body = answer.get_json()
    assert answer.status_code == 201, body
    assert (body["total"], body["change"], body["card_balance"]) == ("55.76", "4.24", "0.00")
    assert store.balance(session) == Money.zero()


@pytest.mark.parametrize(
    ("payments", "code"),
    [
        ([card("9.00")], "payment_mismatch"),  # does not cover 9.50
        ([card("20.00")], "payment_mismatch"),  # card above the total
        ([], "payment_mismatch"),
    ],
)
def test_payment_rules_refuse_and_write_nothing(api, store, session, payments, code) -> None:
    answer = api(Role.CASHIER).post(
        "/api/v1/sales", json=sale([{"barcode": store.rice.barcode}], payments, store.card.card_no)
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == code
    assert sales_count(session) == 0
    assert store.balance(session) == Money.parse("50.00")
    assert store.stock(session, store.rice) == Decimal(20)


def test_card_cannot_pay_more_than_its_balance(api, store, session) -> None:
    answer = api(Role.CASHIER).post(
        "/api/v1/sales",
        json=sale([{"barcode": store.rice.barcode}], [card("9.50")], store.other_card.card_no),
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "insufficient_balance"
    assert sales_count(session) == 0


def test_frozen_card_unknown_card_unknown_product_inactive_person(
    api, store, session, clock
) -> None:
    cashier = api(Role.CASHIER)
    unknown = cashier.post("/api/v1/sales", json=sale([{"barcode": "6900000000000"}], [cash("1")]))
    assert unknown.get_json()["error"]["code"] == "unknown_product"
    assert "6900000000000" in unknown.get_json()["error"]["message"]
    bad_card = cashier.post(
        "/api/v1/sales",
        json=sale([{"barcode": store.rice.barcode}], [cash("10")], "1234567812345678"),
    )
    assert bad_card.get_json()["error"]["code"] == "unknown_card"
    change_status(
        session,
        store.other_card.account.beneficiary,
        "suspended",
        reason="测试",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    session.commit()
    inactive = cashier.post(
        "/api/v1/sales",
        json=sale([{"barcode": store.rice.barcode}], [cash("10")], store.other_card.card_no),
    )
    assert inactive.get_json()["error"]["code"] == "beneficiary_inactive"
    freeze_card(session, store.card.card_no, reason="挂失", at=clock(), actor=ACTOR)
    session.commit()
    frozen = cashier.post(
        "/api/v1/sales",
        json=sale([{"barcode": store.rice.barcode}], [card("9.50")], store.card.card_no),
    )
    assert frozen.status_code == 422 and frozen.get_json()["error"]["code"] == "card_frozen"
    assert sales_count(session) == 0


@pytest.mark.parametrize(
    ("line", "payments", "field"),
    [
        ({"barcode": "6901234567892", "qty": 0}, [cash("10")], "qty"),
        ({"barcode": "6901234567892", "qty": -1}, [cash("10")], "qty"),
        ({"barcode": "6901234567892", "qty": "0.0001"}, [cash("10")], "qty"),
        ({"barcode": "6901234567892", "qty": "abc"}, [cash("10")], "qty"),
        ({"barcode": "6901234567892", "qty": 100000}, [cash("10")], "qty"),
        ({"barcode": "6901234567892"}, [cash("10.001")], "amount"),
        ({"barcode": "6901234567892"}, [cash("-10")], "amount"),
        ({"barcode": "6901234567892"}, [{"method": "cheque", "amount": "10"}], "method"),
        ({"barcode": ""}, [cash("10")], "barcode"),
    ],
)
def test_every_field_is_validated(api, store, session, line, payments, field) -> None:
    answer = api(Role.CASHIER).post("/api/v1/sales", json=sale([line], payments))
    assert answer.status_code == 400, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error" and field in error["message"]
    assert sales_count(session) == 0


def test_empty_lines_and_fractional_packaged_goods_are_refused(api, store) -> None:
    cashier = api(Role.CASHIER)
    empty = cashier.post("/api/v1/sales", json=sale([], [cash("1")]))
    assert empty.status_code == 400 and "lines" in empty.get_json()["error"]["message"]
    half = cashier.post(
        "/api/v1/sales", json=sale([{"barcode": store.rice.barcode, "qty": "0.5"}], [cash("10")])
    )
    assert half.status_code == 400 and half.get_json()["error"]["code"] == "validation_error"


def test_weighed_goods_round_half_up(api, store, session) -> None:
    # 0.512 kg at 6.00/kg: list 3.072 -> 3.07; charity 5.70/kg x 0.512 = 2.9184 -> 2.92
    answer = api(Role.CASHIER).post(
        "/api/v1/sales",
        json=sale(
            [{"barcode": store.apples.barcode, "qty": "0.512"}], [card("2.92")], store.card.card_no
        ),
    )
    body = answer.get_json()
    assert answer.status_code == 201, body
    assert (body["list_total"], body["total"], body["lines"][0]["qty"]) == ("3.07", "2.92", "0.512")
    assert store.stock(session, store.apples) == Decimal("19.488")


def test_clothing_on_the_allowance_then_quota(api, store, session) -> None:
    cashier = api(Role.CASHIER)
    first = cashier.post(
        "/api/v1/sales", json=sale([{"barcode": store.sweater.barcode}], [], store.card.card_no)
    )
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["total"] == "0.00" and first.get_json()["clothing_used"] == 1
    second = cashier.post(
        "/api/v1/sales", json=sale([{"barcode": store.sweater.barcode}], [], store.card.card_no)
    )
    assert second.status_code == 422
    error = second.get_json()["error"]
    assert error["code"] == "clothing_quota_exceeded" and "2027-01-01" in error["message"]
    anonymous = cashier.post("/api/v1/sales", json=sale([{"barcode": store.sweater.barcode}], []))
    assert anonymous.status_code == 400 and "慈善卡" in anonymous.get_json()["error"]["message"]
    assert store.stock(session, store.sweater) == Decimal(19)


def test_refund_is_for_supervisors_and_restores_money_stock_and_allowance(
    api, store, session
) -> None:
    cashier = api(Role.CASHIER)
    made = cashier.post(
        "/api/v1/sales",
        json=sale(
            [{"barcode": store.rice.barcode, "qty": 3}, {"barcode": store.sweater.barcode}],
            [card("20.00"), cash("10.00")],
            store.card.card_no,
        ),
    ).get_json()
    assert made["total"] == "28.50" and made["change"] == "1.50"
    sale_no = made["sale_no"]
    denied = cashier.post(f"/api/v1/sales/{sale_no}/refund", json={"reason": "顾客退货"})
    assert denied.status_code == 403
    supervisor = api(Role.SUPERVISOR)
    no_reason = supervisor.post(f"/api/v1/sales/{sale_no}/refund", json={"reason": ""})
    assert no_reason.status_code == 400
    part = supervisor.post(
        f"/api/v1/sales/{sale_no}/refund",
        json={
            "reason": "包装破损",
            "lines": [
                {"barcode": store.rice.barcode, "qty": 1},
                {"barcode": store.sweater.barcode, "qty": 1},
            ],
        },
    )
    assert part.status_code == 201, part.get_json()
    body = part.get_json()
    assert (body["card"], body["cash"], body["clothing_returned"]) == ("9.50", "0.00", 1)
    assert store.balance(session) == Money.parse("39.50")  # 50 - 20 + 9.50
    assert store.stock(session, store.rice) == Decimal(18)
    assert store.stock(session, store.sweater) == Decimal(20)
    rest = supervisor.post(
        f"/api/v1/sales/{sale_no}/refund", json={"reason": "全部退货"}
    ).get_json()
    # the card paid 20.00 in all: 10.50 more to the card, the last 8.50 from the drawer
    assert (rest["card"], rest["cash"]) == ("10.50", "8.50")
    assert store.balance(session) == Money.parse("50.00")
    again = supervisor.post(f"/api/v1/sales/{sale_no}/refund", json={"reason": "再退"})
    assert again.status_code == 409
    too_many = supervisor.post(
        f"/api/v1/sales/{sale_no}/refund",
        json={"reason": "x", "lines": [{"barcode": store.rice.barcode, "qty": 1}]},
    )
    assert too_many.status_code == 400
    # the allowance is back: the sweater can be taken again this quarter
    retaken = cashier.post(
        "/api/v1/sales", json=sale([{"barcode": store.sweater.barcode}], [], store.card.card_no)
    )
    assert retaken.status_code == 201
    assert verify_all(session, TEST_KEYS)[0] == []


def test_partial_refunds_of_weighed_goods_add_up_to_what_was_paid(api, store, session) -> None:
    made = api(Role.CASHIER).post(
        "/api/v1/sales",
        json=sale(
            [{"barcode": store.apples.barcode, "qty": "1.001"}], [card("5.71")], store.card.card_no
        ),
    )
    body = made.get_json()
    assert body["total"] == "5.71", body
    supervisor = api(Role.SUPERVISOR)
    refunded = Money.zero()
    for qty in ("0.333", "0.333", "0.335"):
        r = supervisor.post(
            f"/api/v1/sales/{body['sale_no']}/refund",
            json={"reason": "称重有误", "lines": [{"barcode": store.apples.barcode, "qty": qty}]},
        )
        assert r.status_code == 201, r.get_json()
        refunded = refunded + Money.parse(r.get_json()["total"])
    assert refunded == Money.parse("5.71")
    assert store.balance(session) == Money.parse("50.00")


def _pay_concurrently(app, tokens: str | list[str], bodies: list[dict[str, Any]]) -> list[int]:
    """POST every body at the same moment, each from its own client (and token if a list)."""
    if isinstance(tokens, str):
        tokens = [tokens] * len(bodies)
    results: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(len(bodies))

    def pay(token: str, body: dict[str, Any]) -> None:
        client = app.test_client()
        start.wait()
        answer = client.post(
            "/api/v1/sales", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        with lock:
            results.append(answer.status_code)

    threads = [threading.Thread(target=pay, args=pair) for pair in zip(tokens, bodies, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_eight_terminals_paying_from_one_card_never_overdraw(
    app, api_token, store, session
) -> None:
    # 50.00 on the card, 8 cashiers each selling 9.50 from it at once: exactly 5 succeed.
    tokens = [api_token(Role.CASHIER) for _ in range(8)]
    bodies = [
        sale([{"barcode": store.rice.barcode}], [card("9.50")], store.card.card_no) for _ in tokens
    ]
    results = _pay_concurrently(app, tokens, bodies)
    assert sorted(results) == [201] * 5 + [422] * 3
    assert store.balance(session) == Money.parse("2.50")
    assert ledger.balance(session, store.card.account_id).fen >= 0
    assert verify_all(session, TEST_KEYS)[0] == []


def test_concurrent_replays_of_one_client_ref_make_one_sale(app, api_token, store, session) -> None:
    token = api_token(Role.CASHIER)
    body = sale([{"barcode": store.rice.barcode}], [card("9.50")], store.card.card_no)
    results = _pay_concurrently(app, token, [body] * 4)
    assert sorted(results) == [200, 200, 200, 201]
    assert sales_count(session) == 1
    assert store.balance(session) == Money.parse("40.50")


def test_two_terminals_one_card_two_clothing_items_one_succeeds(
    app, api_token, store, session
) -> None:
    # two cashiers at two terminals, one card, a clothing item each, at the same moment
    two_cashiers = [api_token(Role.CASHIER), api_token(Role.CASHIER)]
    bodies = [sale([{"barcode": store.sweater.barcode}], [], store.card.card_no) for _ in range(2)]
    assert sorted(_pay_concurrently(app, two_cashiers, bodies)) == [201, 422]
    # one cashier sending twice at once (a double tap): the same rule, and one shift opens
    bodies = [
        sale([{"barcode": store.sweater.barcode}], [], store.other_card.card_no) for _ in range(2)
    ]
    assert sorted(_pay_concurrently(app, api_token(Role.CASHIER), bodies)) == [201, 422]


def test_public_sales_off_requires_a_card(app, api, store, settings) -> None:
    from core.web import app_state

    app_state(app).settings = settings.with_overrides(store={"public_sales": False})
    answer = api(Role.CASHIER).post(
        "/api/v1/sales", json=sale([{"barcode": store.rice.barcode}], [cash("10")])
    )
    assert answer.status_code == 400 and "持慈善卡" in answer.get_json()["error"]["message"]


def test_quote_shows_what_the_terminal_needs(api, store) -> None:
    answer = api(Role.CASHIER).post(
        "/api/v1/quote",
        json={"card_no": store.card.card_no, "lines": [{"barcode": store.oil.barcode, "qty": 2}]},
    )
    body = answer.get_json()
    assert answer.status_code == 200, body
    assert (body["total"], body["card_pays"], body["cash_due"], body["balance_after"]) == (
        "55.76",
        "50.00",
        "5.76",
        "0.00",
    )
    assert body["card"]["holder"] == "张*云"
    assert body["card"]["clothing"]["allowed"] == 1
    assert (
        body["lines"][0]["list_price"] == "30.30" and body["lines"][0]["charity_price"] == "27.88"
    )


def test_terminal_finds_a_card_by_its_balance_page_qr(api, store, session, clock) -> None:
    from cards.services.cards import replace_card

    cashier = api(Role.CASHIER)
    found = cashier.get(f"/api/v1/terminal/qr/{store.card.qr_token}")
    assert found.status_code == 200 and found.get_json()["card_no"] == store.card.card_no
    replace_card(session, store.card.card_no, at=clock(), actor=ACTOR)
    session.commit()
    old = cashier.get(f"/api/v1/terminal/qr/{store.card.qr_token}")
    assert old.status_code == 404 and old.get_json()["error"]["code"] == "unknown_card"


def test_same_goods_in_opposite_order_at_once_all_sell(app, api_token, store, session) -> None:
    # Two terminals each locking the rice and oil stock rows, in opposite orders: no deadlock.
    forward = [{"barcode": store.rice.barcode}, {"barcode": store.oil.barcode}]
    bodies = [sale(forward if n % 2 else forward[::-1], [cash("40.30")]) for n in range(8)]
    results = _pay_concurrently(app, api_token(Role.CASHIER), bodies)
    assert results == [201] * 8
    assert store.stock(session, store.rice) == Decimal(12)
    assert store.stock(session, store.oil) == Decimal(12)
