"""The customer display (/display) in a second window: it follows the terminal's cart live,
with 标价 and 慈善价, the saving, the total, the masked holder and the balance before and after;
between customers it shows the store's notices."""

from __future__ import annotations

from typing import Any

import pytest

from core.auth import Role
from tests.browser.counter import OIL, RICE, add_staff, scan, terminal
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.with_overrides(store={"notices": "凭慈善卡享慈善价\n每月 1 日充值到账"})


def test_the_display_follows_the_cart_and_shows_notices_between_customers(
    browser: Any, live_server: str, database: Any, clock: Any, artifacts: Any, store: Store
) -> None:
    from playwright.sync_api import expect

    add_staff(database, clock, "cashier", Role.CASHIER, "王小明")
    page = terminal(browser, live_server, "cashier")
    # the second monitor (or a tablet), signed in as the same cashier
    shown = browser.new_page(viewport={"width": 1024, "height": 600})
    shown.goto(live_server + "/?next=/display")
    shown.fill("input[name=username]", "cashier")
    shown.fill("input[name=password]", "password123")
    shown.keyboard.press("Enter")
    shown.wait_for_url(live_server + "/display")
    expect(shown.locator("#d-idle")).to_be_visible()
    expect(shown.locator(".d-notices")).to_contain_text("每月 1 日充值到账")
    shown.screenshot(path=str(artifacts / "display-idle.png"))

    scan(page, RICE)
    scan(page, "2*" + OIL)
    scan(page, store.card.card_no)
    rows = shown.locator("#d-rows tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("东北大米")
    expect(rows.nth(0).locator(".d-list")).to_have_text("10.00")
    expect(rows.nth(0).locator(".d-charity")).to_have_text("9.50")
    expect(rows.nth(1).locator(".d-charity")).to_have_text("27.88")
    expect(shown.locator("#d-card")).to_contain_text("张*云")
    expect(shown.locator("#d-card")).not_to_contain_text("张三云")
    expect(shown.locator("#d-card")).to_contain_text("￥50.00")
    expect(shown.locator("#d-card .d-after")).to_have_text("￥0.00")
    totals = shown.locator("#d-totals")
    expect(totals).to_contain_text("共省")
    expect(totals.locator(".d-saving")).to_contain_text("￥5.34")  # 70.60 listed, 65.26 due
    expect(totals.locator(".d-due")).to_contain_text("￥65.26")
    shown.screenshot(path=str(artifacts / "display-cart.png"))

    page.keyboard.press("F4")
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥4.74")
    expect(totals).to_contain_text("找零")
    expect(totals).to_contain_text("￥4.74")
    expect(shown.locator("#d-card")).to_contain_text("付后 ￥0.00")

    page.keyboard.press("Escape")  # the next customer
    expect(shown.locator("#d-idle")).to_be_visible()
    expect(shown.locator(".d-notices")).to_contain_text("凭慈善卡享慈善价")
