"""F1 at the counter: the quick-key grid of goods without a barcode, and an open-price item
whose price is typed, above its threshold with a supervisor."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.auth import Role
from core.money import Money
from inventory.services.counter_keys import CounterKeys, set_counter_keys
from inventory.services.products import create_product
from pos.models import Sale
from tests.browser.counter import add_staff, terminal
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import ACTOR, Store

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


def test_quick_keys_and_an_open_price_with_a_supervisor(
    browser: Any,
    live_server: str,
    database: Any,
    clock: Any,
    artifacts: Any,
    store: Store,
    session: Any,
    settings: Any,
) -> None:
    from playwright.sync_api import expect

    odds = create_product(
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
    open_price = CounterKeys(1, True, Money.parse("100.00"), Money.parse("50.00"))
    set_counter_keys(session, odds, open_price, at=clock(), actor=ACTOR)
    set_counter_keys(session, store.apples, CounterKeys(quick_key=2), at=clock(), actor=ACTOR)
    session.commit()
    add_staff(database, clock, "cashier", Role.CASHIER, "王小明")
    add_staff(database, clock, "boss", Role.SUPERVISOR, "李店长")
    page = terminal(browser, live_server, "cashier")
    rows = page.locator("#t-rows tr")
    dialog = page.locator("#t-dialog")

    page.keyboard.press("F1")
    expect(dialog).to_contain_text("快捷商品")
    expect(dialog).to_contain_text("苹果")
    page.screenshot(path=str(artifacts / "terminal-quick-keys.png"))
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.nth(0)).to_contain_text("苹果")

    page.keyboard.press("F1")
    page.keyboard.type("1")  # typed ahead of the grid: it waits for it
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("手工定价：捐赠杂货")
    page.keyboard.type("3.5")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator(".c-price")).to_have_text("3.50")

    page.keyboard.press("F1")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    page.keyboard.type("80")
    page.keyboard.press("Enter")
    expect(page.locator(".t-dialog-error")).to_contain_text("需要店长授权")
    page.keyboard.type("boss")
    page.keyboard.press("Enter")
    page.keyboard.type("password123")
    page.screenshot(path=str(artifacts / "terminal-open-price-supervisor.png"))
    page.keyboard.press("Enter")
    expect(rows).to_have_count(3)
    expect(rows.nth(2).locator(".c-price")).to_have_text("80.00")
    expect(page.locator("#t-message")).to_contain_text("店长已授权")
    expect(page.locator("#t-totals .t-due")).to_contain_text("89.50")  # 6.00 + 3.50 + 80.00

    page.keyboard.press("F5")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥0.00")
    session.rollback()
    sale = session.scalars(select(Sale)).one()
    assert [line.unit_list_fen for line in sale.lines] == [600, 350, 8000]
