"""F8 without the receipt: the card leads to the holder's recent sales, the supervisor refunds
one of them, the money goes back to the card."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth import Role
from tests.browser.counter import RICE, add_staff, scan, terminal
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store, make_id

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


def test_a_return_without_the_receipt_starts_from_the_card(
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
    dialog = page.locator("#t-dialog")
    for number, code in enumerate(("2*" + RICE, RICE), start=1):
        scan(page, code)
        scan(page, store.card.card_no)
        page.keyboard.press("F4")
        page.keyboard.press("Enter")
        expect(page.locator("#t-done")).to_contain_text(f"-{number:06d}")
    assert str(store.balance(session)) == "21.50"  # 50.00 - 19.00 - 9.50

    page.keyboard.press("F8")
    page.locator("#d-sale").fill("张三云 " + make_id(1)[-4:])  # no receipt, no card either
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("选择这张卡最近的销售")
    items = page.locator(".t-sales li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("￥9.50")
    expect(items.nth(1)).to_contain_text("￥19.00")
    page.screenshot(path=str(artifacts / "terminal-return-without-receipt.png"))
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # the first sale: two bags
    expect(dialog).to_contain_text("东北大米")
    expect(page.locator(".t-refund-head")).to_contain_text("卡 ￥19.00")
    page.keyboard.type("1*1")
    page.keyboard.press("Enter")
    page.keyboard.type("顾客多买了一袋")
    page.keyboard.press("Enter")
    page.keyboard.type("boss")
    page.keyboard.press("Enter")
    page.keyboard.type("password123")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("退货完成")
    expect(dialog).to_contain_text("￥9.50")
    assert str(store.balance(session)) == "31.00"
