"""F8 without the receipt for a public sale: F8 again chooses 现金（无小票）, today's sales
without a card are listed, the supervisor refunds part of one, the cash comes out of the drawer."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth import Role
from tests.browser.counter import RICE, add_staff, scan, terminal
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


def test_a_public_sale_is_refunded_in_cash_without_the_receipt(
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
    add_staff(database, clock, "boss", Role.SUPERVISOR, "李店长")
    page = terminal(browser, live_server, "cashier")
    assert page.viewport_size == {"width": 1024, "height": 768}
    dialog = page.locator("#t-dialog")
    for number, (code, paid) in enumerate(((RICE, "10"), ("6*" + RICE, "100")), start=1):
        scan(page, code)
        page.keyboard.press("F5")  # cash
        page.keyboard.type(paid)
        page.keyboard.press("Enter")
        expect(page.locator("#t-done")).to_contain_text(f"-{number:06d}")
    scan(page, RICE)  # a card sale is not among the public ones
    scan(page, store.card.card_no)
    page.keyboard.press("F4")
    page.keyboard.press("Enter")
    expect(page.locator("#t-done")).to_contain_text("-000003")
    assert str(store.stock(session, store.rice)) in ("12", "12.000")

    page.keyboard.press("F8")
    page.keyboard.press("F8")  # typed ahead: 现金（无小票）
    expect(dialog).to_contain_text("选择今天的无卡（现金）销售")
    expect(dialog).to_contain_text("每笔最多退 ￥50.00")
    items = page.locator(".t-sales li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("￥60.00")
    expect(items.nth(1)).to_contain_text("￥10.00")
    page.screenshot(path=str(artifacts / "terminal-return-public-cash.png"))
    page.keyboard.press("Enter")  # the newest: six bags
    page.keyboard.type("1*2")
    page.keyboard.press("Enter")
    page.keyboard.type("顾客没带小票")
    page.keyboard.press("Enter")
    page.keyboard.type("boss")
    page.keyboard.press("Enter")
    page.keyboard.type("password123")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("退货完成")
    expect(dialog.locator(".t-change")).to_have_text("￥20.00")
    assert str(store.stock(session, store.rice)) in ("14", "14.000")
