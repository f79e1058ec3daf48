"""The day close page in a browser: the open shift named, then closed and printed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flask.testing import FlaskClient

from core.auth import Role
from tests.browser.counter import add_staff, sign_in
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


def test_the_day_close_page_names_an_open_shift_then_closes_the_day(
    browser: Any,
    live_server: str,
    database: Any,
    clock: Any,
    artifacts: Any,
    store: Store,
    client: FlaskClient,
) -> None:
    from playwright.sync_api import expect

    add_staff(database, clock, "cashier", Role.CASHIER, "王小明")
    add_staff(database, clock, "boss", Role.SUPERVISOR, "李店长")
    token = client.post("/api/v1/login", json={"username": "cashier", "password": "password123"})
    cashier = {"Authorization": "Bearer " + token.get_json()["token"]}
    sale = {
        "client_ref": str(uuid.uuid4()),
        "lines": [{"barcode": store.rice.barcode, "qty": 3}],
        "payments": [{"method": "qr", "amount": "30.00", "reference": "559911"}],
    }
    assert client.post("/api/v1/sales", json=sale, headers=cashier).status_code == 201

    page = sign_in(browser, live_server, "boss")
    page.goto(live_server + "/office/day?day=2026-11-29")
    expect(page.locator(".error-box")).to_contain_text("收银台 01 王小明")
    expect(page.locator("button.primary")).to_have_count(0)  # nothing to close yet

    closing = {"counts": {}, "reason": ""}
    answer = client.post("/api/v1/shifts/current/close", json=closing, headers=cashier)
    assert answer.status_code == 200, answer.get_json()
    page.reload()
    expect(page.locator(".day-totals")).to_contain_text("￥30.00")
    page.locator("button.primary").click()
    expect(page.locator(".day-closed")).to_contain_text("已日结")
    expect(page.locator(".day-closed")).to_contain_text("李店长")
    expect(page.locator(".day-terminals")).to_contain_text("￥30.00")
    page.screenshot(path=str(artifacts / "office-day-close.png"), full_page=True)
