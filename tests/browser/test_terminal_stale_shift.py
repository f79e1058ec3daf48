"""The terminal and a shift left open since an earlier business day: the cashier is asked to
count and close it when the page opens and when a sale is refused for it (409 stale_shift);
the cart stays, and after the close the sale goes through in a new shift of today."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.auth import Actor, Role
from core.money import Money
from pos.models import Sale, Shift
from pos.services import shifts
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store  # the checkout tests' small store, as a fixture here too

pytestmark = pytest.mark.browser

RICE = "6901234567892"


def test_terminal_asks_to_close_yesterdays_shift_first(
    browser: Any,
    live_server: str,
    make_user: Any,
    store: Store,
    session: Any,
    clock: Any,
    artifacts: Any,
) -> None:
    from playwright.sync_api import expect

    cashier = make_user(Role.CASHIER, username="cashier")
    yesterday = shifts.open_shift(
        session,
        actor=Actor.of(cashier),
        terminal="01",
        opening_float=Money.zero(),
        at=clock() - timedelta(days=1),
    )
    session.commit()
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(live_server + "/")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", "password123")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/terminal")
    dialog = page.locator("#t-dialog")
    # on opening the page: the old shift is named and its count asked for
    expect(dialog).to_contain_text("请先交班")
    expect(dialog).to_contain_text("2026-11-28")
    page.keyboard.press("Escape")  # not now
    expect(page.locator("#scan")).to_be_focused()

    page.keyboard.type(RICE, delay=5)
    page.keyboard.press("Enter")
    expect(page.locator("#t-rows tr")).to_have_count(1)
    page.keyboard.press("F5")
    page.keyboard.press("Enter")  # exactly the amount due: the server refuses the old shift
    expect(dialog).to_contain_text("请先交班：上一营业日的班次")
    expect(page.locator("#t-message")).to_contain_text("上一营业日（2026-11-28）的班次还没有交班")
    page.screenshot(path=str(artifacts / "terminal-stale-shift.png"))
    session.rollback()
    assert session.scalars(select(Sale)).all() == []
    expect(page.locator("#t-rows tr")).to_have_count(1)  # the cart is kept

    page.keyboard.press("Enter")  # count now
    expect(dialog).to_contain_text("盲点")
    for _ in range(9):  # nothing in the drawer: eight empty counts and no reason
        page.keyboard.press("Enter")
    expect(dialog).to_contain_text("Z 报表")
    page.keyboard.press("Enter")
    expect(page.locator("#t-rows tr")).to_have_count(1)

    page.keyboard.press("F5")
    page.keyboard.press("Enter")
    expect(page.locator("#t-message")).to_contain_text("收款完成")
    session.rollback()
    old = session.get(Shift, yesterday.id)
    assert old.status == "closed" and old.counted_cash_fen == 0
    sale = session.scalars(select(Sale)).one()
    assert sale.shift_id != yesterday.id
