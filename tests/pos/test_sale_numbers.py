"""Sale numbers run 1..N per terminal and business day with no gap, even when sales roll back
(a refused card debit, stock blocked) or run at once; and a `client_ref` replayed with another
body is a conflict that changes nothing."""

from __future__ import annotations

import threading
import uuid
from datetime import date
from typing import Any

from sqlalchemy import select

from core.auth import Role
from core.money import Money
from pos.models import Sale, SaleCounter
from pos.services.numbering import next_sale_number, sale_number


def _sale(barcode: str, *, card_no: str | None = None, pay: dict[str, str], ref: str = "") -> dict:
    body: dict[str, Any] = {
        "client_ref": ref or str(uuid.uuid4()),
        "lines": [{"barcode": barcode}],
        "payments": [pay],
    }
    if card_no:
        body["card_no"] = card_no
    return body


def _numbers(session, day: str = "20261129") -> list[int]:
    session.rollback()
    rows = session.scalars(select(Sale.sale_no).where(Sale.sale_no.like(f"{day}-%"))).all()
    return sorted(int(no.rsplit("-", 1)[1]) for no in rows)


def _post_all(app, tokens: list[str], bodies: list[dict]) -> list[tuple[int, dict]]:
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()
    start = threading.Barrier(len(bodies))

    def post(token: str, body: dict) -> None:
        client = app.test_client()
        start.wait()
        answer = client.post(
            "/api/v1/sales", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        with lock:
            results.append((answer.status_code, answer.get_json()))

    threads = [
        threading.Thread(target=post, args=pair) for pair in zip(tokens, bodies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == len(bodies)
    return results


def test_the_number_reads_day_terminal_and_count(session, database) -> None:
    day = date(2026, 11, 29)
    assert sale_number("01", day, 7) == "20261129-01-000007"
    with database.transaction() as s:
        assert [next_sale_number(s, "01", day) for _ in range(3)] == [1, 2, 3]
        assert next_sale_number(s, "02", day) == 1  # each terminal its own count
        assert next_sale_number(s, "01", date(2026, 11, 30)) == 1  # each day too
    with database.session() as s:
        assert next_sale_number(s, "01", day) == 4
        s.rollback()  # a sale that rolls back gives its number back
    with database.transaction() as s:
        assert next_sale_number(s, "01", day) == 4
        counter = s.get(SaleCounter, ("01", day))
        assert counter is not None and counter.last_no == 4


def test_refused_sales_leave_no_gap(api, store, session, clock) -> None:
    cashier = api(Role.CASHIER)
    card_sale = _sale(
        store.oil.barcode, card_no=store.card.card_no, pay={"method": "card", "amount": "27.88"}
    )
    assert cashier.post("/api/v1/sales", json=card_sale).status_code == 201  # 50.00 -> 22.12
    again = _sale(
        store.oil.barcode, card_no=store.card.card_no, pay={"method": "card", "amount": "27.88"}
    )
    refused = cashier.post("/api/v1/sales", json=again)  # the debit is refused after numbering
    assert (
        refused.status_code == 422 and refused.get_json()["error"]["code"] == "insufficient_balance"
    )
    cash = cashier.post(
        "/api/v1/sales", json=_sale(store.rice.barcode, pay={"method": "cash", "amount": "10.00"})
    )
    assert cash.get_json()["sale_no"] == "20261129-01-000002"
    assert _numbers(session) == [1, 2]
    clock.advance(days=1)
    cashier = api(Role.CASHIER)  # a new day, a new sign-in (yesterday's has idled out)
    nxt = cashier.post(
        "/api/v1/sales", json=_sale(store.rice.barcode, pay={"method": "cash", "amount": "10.00"})
    )
    assert nxt.get_json()["sale_no"] == "20261130-01-000001"


def test_concurrent_sales_with_rollbacks_number_one_to_n(
    app, api_token, store, session, settings
) -> None:
    """Twelve cashiers at one terminal number at once: eight card sales of 9.50 on a card
    holding 50.00 (three are refused after taking a number and roll back) and four cash sales.
    On PostgreSQL (CI) the counter row's lock is what keeps the count; on SQLite the writer
    lock. Either way the day's numbers are 1..9."""
    tokens = [api_token(Role.CASHIER) for _ in range(12)]
    bodies = [
        _sale(
            store.rice.barcode, card_no=store.card.card_no, pay={"method": "card", "amount": "9.50"}
        )
        for _ in range(8)
    ] + [_sale(store.rice.barcode, pay={"method": "cash", "amount": "10.00"}) for _ in range(4)]
    results = _post_all(app, tokens, bodies)
    assert sorted(status for status, _ in results) == [201] * 9 + [422] * 3
    assert _numbers(session) == list(range(1, 10))
    assert store.balance(session) == Money.parse("2.50")


def test_a_replay_with_another_body_is_a_conflict(api, store, session) -> None:
    cashier = api(Role.CASHIER)
    body = {
        "client_ref": "ref-1",
        "card_no": store.card.card_no,
        "lines": [{"barcode": store.rice.barcode, "qty": 2}],
        "payments": [{"method": "card", "amount": "19.00"}],
    }
    first = cashier.post("/api/v1/sales", json=body)
    assert first.status_code == 201
    same = cashier.post(
        "/api/v1/sales", json={**body, "lines": [{"barcode": store.rice.barcode, "qty": "2.000"}]}
    )
    assert same.status_code == 200 and same.get_json()["sale_no"] == first.get_json()["sale_no"]
    others = [
        {**body, "card_no": store.other_card.card_no},  # another card
        {**body, "lines": [{"barcode": store.rice.barcode, "qty": 3}]},  # another quantity
        {**body, "lines": [{"barcode": store.oil.barcode, "qty": 2}]},  # another product
        {
            **body,
            "payments": [
                {"method": "card", "amount": "9.00"},
                {"method": "cash", "amount": "10.00"},
            ],
        },
    ]
    for other in others:
        answer = cashier.post("/api/v1/sales", json=other)
        assert answer.status_code == 409, answer.get_json()
        error = answer.get_json()["error"]
        assert error["code"] == "conflict" and "ref-1" in error["message"]
    assert _numbers(session) == [1]
    assert store.balance(session) == Money.parse("31.00")
    assert store.stock(session, store.rice) == 18
    assert store.stock(session, store.oil) == 20


def test_concurrent_replays_with_different_bodies(app, api_token, store, session) -> None:
    token = api_token(Role.CASHIER)
    one = _sale(store.rice.barcode, pay={"method": "cash", "amount": "10.00"}, ref="ref-x")
    two = {**one, "payments": [{"method": "cash", "amount": "20.00"}]}
    results = _post_all(app, [token] * 6, [one, one, one, two, two, two])
    # whichever body wins makes the sale; its twins get it (200), the other body is refused
    assert sorted(status for status, _ in results) == [200, 200, 201, 409, 409, 409]
    assert _numbers(session) == [1]


def test_forced_rollbacks_at_the_last_step_give_their_numbers_back(
    app, api_token, store, session, monkeypatch
) -> None:
    """Thirty sales at once at one terminal, every third one failing at its very last step (the
    receipt), after its number, stock and money were written: the day's numbers are 1..20."""
    import pos.services.checkout as checkout
    from core.errors import ValidationError

    real = checkout.queue_sale_receipt
    calls = {"n": 0}
    lock = threading.Lock()

    def flaky(*args: Any, **kwargs: Any) -> Any:
        with lock:
            calls["n"] += 1
            fail = calls["n"] % 3 == 0
        if fail:
            raise ValidationError("forced failure after numbering")
        return real(*args, **kwargs)

    monkeypatch.setattr(checkout, "queue_sale_receipt", flaky)
    tokens = [api_token(Role.CASHIER) for _ in range(6)]
    bodies = [
        _sale(store.rice.barcode, pay={"method": "cash", "amount": "10.00"}) for _ in range(30)
    ]
    results = _post_all(app, [tokens[i % 6] for i in range(30)], bodies)
    assert sorted(status for status, _ in results) == [201] * 20 + [400] * 10
    assert _numbers(session) == list(range(1, 21))
    assert store.stock(session, store.rice) == 0  # 20 on the shelf, 20 sold, none lost
