"""What the terminal says before it lets a sale go wrong (an empty card, a quantity far above
the stock) and what the X and Z reports show: refunds in both, store time, one money format,
the cashier's name."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from core.auth import Role
from pos.models import Sale
from tests.browser.counter import RICE, add_staff, scan, sign_in, terminal
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


def test_a_card_with_nothing_on_it_says_balance_too_low(
    browser: Any, live_server: str, database: Any, clock: Any, artifacts: Any, store: Store
) -> None:
    from playwright.sync_api import expect

    add_staff(database, clock, "cashier", Role.CASHIER, "王小明")
    page = terminal(browser, live_server, "cashier")
    scan(page, RICE)
    scan(page, store.other_card.card_no)  # 李四, 0.00
    expect(page.locator("#t-card .t-balance")).to_contain_text("0.00")
    expect(page.locator("#t-message")).to_contain_text("余额不足")
    page.keyboard.press("F4")
    message = page.locator("#t-message")
    expect(message).to_have_class("t-message t-error")
    expect(message).to_contain_text("卡余额不足")
    expect(message).to_contain_text("F5")
    expect(page.locator("#t-dialog-backdrop")).to_be_hidden()  # nothing put on cash silently
    page.screenshot(path=str(artifacts / "terminal-empty-card.png"))
    page.keyboard.press("F5")  # cash at the charity price, as the message says
    expect(page.locator("#t-dialog")).to_contain_text("9.50")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥0.00")


def test_a_card_short_of_the_total_says_what_cash_makes_up(
    browser: Any, live_server: str, database: Any, clock: Any, store: Store
) -> None:
    from playwright.sync_api import expect

    add_staff(database, clock, "cashier", Role.CASHIER, "王小明")
    page = terminal(browser, live_server, "cashier")
    scan(page, "6*" + RICE)  # 57.00 with a card of 50.00
    scan(page, store.card.card_no)
    page.keyboard.press("F4")
    expect(page.locator("#t-dialog .t-short")).to_contain_text("卡余额不足")
    expect(page.locator("#t-dialog .t-short")).to_contain_text("￥7.00")


def test_a_quantity_above_the_stock_is_confirmed_or_undone(
    browser: Any,
    live_server: str,
    database: Any,
    clock: Any,
    artifacts: Any,
    store: Store,
    session: Any,
) -> None:
    from playwright.sync_api import expect

    add_staff(database, clock, "cashier", Role.CASHIER, "王小明")
    page = terminal(browser, live_server, "cashier")
    rows = page.locator("#t-rows tr")
    dialog = page.locator("#t-dialog")
    scan(page, RICE)
    scan(page, "999*" + RICE)  # 20 in stock: 9 meant, 999 typed
    expect(dialog).to_contain_text("数量超过库存")
    expect(dialog).to_contain_text("1000 袋")
    expect(dialog).to_contain_text("20 袋")
    page.screenshot(path=str(artifacts / "terminal-over-stock.png"))
    page.keyboard.press("Escape")
    expect(page.locator("#t-dialog-backdrop")).to_be_hidden()
    expect(rows.nth(0).locator(".c-qty")).to_contain_text("1")
    expect(rows.nth(0).locator(".c-qty")).not_to_contain_text("1000")
    expect(page.locator("#t-totals .t-due")).to_contain_text("10.00")

    scan(page, "25*" + RICE)  # the shelf has more than the system knows: confirmed
    expect(dialog).to_contain_text("26 袋")
    page.keyboard.press("Enter")
    expect(page.locator("#t-dialog-backdrop")).to_be_hidden()
    expect(rows.nth(0).locator(".c-qty")).to_contain_text("26")
    expect(page.locator("#t-message")).to_contain_text("超过库存")
    page.keyboard.press("F5")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥0.00")
    session.rollback()
    assert session.scalars(select(Sale)).one().lines[0].qty_milli == 26000


def test_x_and_z_show_refunds_store_time_one_money_format_and_the_cashiers_name(
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
    # the counter PC's clock is set to New York: the page still speaks store time
    page = terminal(browser, live_server, "cashier", timezone="America/New_York")
    for _ in range(2):
        scan(page, RICE)
        page.keyboard.press("F5")
        page.keyboard.press("Enter")
        expect(page.locator("#t-change")).to_have_text("￥0.00")
    sale_no = page.evaluate("localStorage.getItem('charity.terminal.lastSale')")
    token = client.post("/api/v1/login", json={"username": "boss", "password": "password123"})
    refund = client.post(
        f"/api/v1/sales/{sale_no}/refund",
        json={"reason": "包装破损"},
        headers={"Authorization": "Bearer " + token.get_json()["token"]},
    )
    assert refund.status_code == 201, refund.get_json()

    dialog = page.locator("#t-dialog")
    page.keyboard.press("F10")
    expect(dialog).to_contain_text("退款合计")
    expect(dialog).to_contain_text("2026/11/29 10:00")  # 10:00 in Shanghai (21:00 in New York)
    expect(dialog).to_contain_text("￥10.00")
    page.screenshot(path=str(artifacts / "terminal-x-report.png"))
    page.keyboard.press("Enter")
    for _ in range(8):  # an empty drawer: 10.00 short
        page.keyboard.press("Enter")
    expect(dialog).to_contain_text("差异原因")
    page.keyboard.type("找错零钱")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("Z 报表")
    report = page.locator("#t-dialog .t-report")
    expect(report).to_contain_text("退货笔数1")
    expect(report).to_contain_text("退款合计￥10.00")
    expect(report).to_contain_text("-￥10.00")  # the variance, signed as receipts print it
    expect(report).not_to_contain_text("￥-")
    page.screenshot(path=str(artifacts / "terminal-z-report.png"))

    office = sign_in(browser, live_server, "boss")
    office.goto(live_server + "/office/sales?day=2026-11-29")
    cashiers = office.locator("tbody tr td:nth-child(3)")
    expect(cashiers).to_have_count(2)
    expect(cashiers.nth(0)).to_have_text("王小明")
    office.goto(live_server + "/office/shifts")
    expect(office.locator("tbody")).to_contain_text("王小明")
    expect(office.locator("tbody")).not_to_contain_text("cashier")
    office.screenshot(path=str(artifacts / "office-shifts-names.png"))
