"""The customer display's state: what the terminal sends is what the display polls (masked
names only, bounded sizes); a stale state shows idle; the poll keeps no session alive."""

from __future__ import annotations

from typing import Any

from flask import Flask

from core.auth import Role

CART = {
    "state": "cart",
    "lines": [
        {
            "name": "东北大米",
            "spec": "5kg",
            "qty": "2",
            "unit": "袋",
            "list_price": "10.00",
            "charity_price": "9.50",
            "total": "19.00",
        }
    ],
    "list_total": "20.00",
    "discount_total": "1.00",
    "total": "19.00",
    "card": {"holder": "张*云", "balance": "50.00", "balance_after": "31.00"},
}


def _signed_in(app: Flask, username: str) -> Any:
    client = app.test_client()
    assert client.post("/", data={"username": username, "password": "password123"}).status_code
    return client


def test_what_the_terminal_sends_the_display_shows_until_it_is_stale(
    app: Flask, api: Any, make_user: Any, clock: Any
) -> None:
    user = make_user(Role.CASHIER)
    page = _signed_in(app, user.username)
    assert page.get("/display/state").get_json()["state"] == "idle"
    assert api(Role.CASHIER).put("/api/v1/terminal/display", json=CART).status_code == 200
    shown = page.get("/display/state").get_json()
    assert shown["lines"] == CART["lines"]
    assert shown["card"] == CART["card"]
    assert shown["store"] == "惠济区慈善超市"
    clock.advance(minutes=11)
    assert page.get("/display/state").get_json()["state"] == "idle"


def test_a_bad_state_is_a_400_and_changes_nothing(app: Flask, api: Any, make_user: Any) -> None:
    cashier = api(Role.CASHIER)
    assert cashier.put("/api/v1/terminal/display", json=CART).status_code == 200
    for bad in ({"state": "party"}, {**CART, "lines": [{"name": "x" * 500}]}):
        answer = cashier.put("/api/v1/terminal/display", json=bad)
        assert answer.status_code == 400
        assert answer.get_json()["error"]["code"] == "validation_error"
    page = _signed_in(app, make_user(Role.CASHIER).username)
    assert page.get("/display/state").get_json()["total"] == "19.00"


def test_the_display_poll_keeps_no_session_alive(app: Flask, make_user: Any, clock: Any) -> None:
    page = _signed_in(app, make_user(Role.CASHIER).username)
    assert page.get("/display").status_code == 200
    for _ in range(31):  # the poll, for longer than the idle timeout
        clock.advance(minutes=1)
        assert page.get("/display/state").status_code in (200, 302)
    assert page.get("/display").status_code == 302  # signed out by the idle timeout
