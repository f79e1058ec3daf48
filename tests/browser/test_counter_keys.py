"""The terminal's keys as a busy cashier types them: ahead of dialogs still opening, after a
held sale is picked, and a supervisor's mistyped password in the refund dialog."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.auth import Role
from pos.models import Refund, Shift
from tests.browser.counter import RICE, Stall, add_staff, scan, terminal
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


def test_a_blind_count_typed_while_the_dialog_opens_goes_into_the_count(
    browser: Any, live_server: str, database: Any, clock: Any, artifacts: Any, store: Store
) -> None:
    from playwright.sync_api import expect

    add_staff(database, clock, "cashier", Role.CASHIER, "王小明")
    page = terminal(browser, live_server, "cashier")
    scan(page, RICE)
    page.keyboard.press("F5")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥0.00")
    expect(page.locator("#t-busy")).to_be_hidden()  # the sale's work is all done

    stall = Stall(page, "**/api/v1/shifts/current")
    page.keyboard.press("F10")  # the X report is on its way ...
    stall.wait()
    page.keyboard.press("Enter")  # ... the cashier goes on: start the count
    page.keyboard.type("1")  # one 100-yuan note
    page.keyboard.press("Enter")
    page.keyboard.type("2")  # two 50-yuan notes
    stall.release()

    dialog = page.locator("#t-dialog")
    expect(dialog).to_contain_text("盲点")
    expect(page.locator("#d-n0")).to_have_value("1")
    expect(page.locator("#d-n1")).to_have_value("2")
    expect(page.locator("#d-n1")).to_be_focused()
    expect(page.locator("#scan")).to_have_value("")
    expect(page.locator("#t-message")).not_to_contain_text("未找到")
    page.screenshot(path=str(artifacts / "terminal-typeahead-count.png"))


def test_the_held_list_takes_enter_and_arrows_and_leaves_a_card_number_typed_after_it(
    browser: Any, live_server: str, database: Any, clock: Any, artifacts: Any, store: Store
) -> None:
    from playwright.sync_api import expect

    add_staff(database, clock, "cashier", Role.CASHIER, "王小明")
    page = terminal(browser, live_server, "cashier")
    rows = page.locator("#t-rows tr")
    scan(page, RICE)
    page.keyboard.press("F6")
    expect(page.locator("#t-message")).to_contain_text("已挂单")
    scan(page, "3*" + RICE)
    expect(rows).to_have_count(1)
    page.keyboard.press("F6")
    expect(rows).to_have_count(0)

    page.keyboard.press("F7")
    dialog = page.locator("#t-dialog")
    expect(dialog).to_contain_text("取回挂单")
    page.keyboard.press("ArrowDown")
    page.screenshot(path=str(artifacts / "terminal-held-list.png"))
    page.keyboard.press("Enter")  # the second one: 3 bags
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".c-qty")).to_contain_text("3")
    page.keyboard.press("F5")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥0.00")

    # F7, 1 and the card number, typed in one go while the held sale comes back slowly
    stall = Stall(page, "**/api/v1/held/*/resume")
    page.keyboard.press("F7")
    page.keyboard.press("1")
    stall.wait()
    scan(page, store.card.card_no)
    stall.release()
    expect(rows).to_have_count(1)
    expect(page.locator("#t-card .t-holder")).to_have_text("张*云")
    expect(rows.nth(0).locator(".c-charity")).to_have_text("9.50")
    expect(page.locator("#t-dialog-backdrop")).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    page.screenshot(path=str(artifacts / "terminal-held-then-card.png"))


def test_a_wrong_supervisor_password_says_so_and_the_header_shows_the_cash_kept(
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
    scan(page, RICE)  # 10.00 at list price
    page.keyboard.press("F5")
    page.keyboard.type("50")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥40.00")

    dialog = page.locator("#t-dialog")
    page.keyboard.press("F8")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("东北大米")
    # 50.00 handed over, 40.00 back: the sale kept 10.00 in cash
    expect(page.locator(".t-refund-head")).to_contain_text("现金 ￥10.00")
    expect(page.locator(".t-refund-head")).not_to_contain_text("50.00")
    page.keyboard.press("Enter")
    page.keyboard.type("顾客不要了")
    page.keyboard.press("Enter")
    page.keyboard.type("boss")
    page.keyboard.press("Enter")
    page.keyboard.type("wrong-password")
    page.keyboard.press("Enter")
    error = page.locator(".t-dialog-error")
    expect(error).to_contain_text("店长用户名或密码错误")
    expect(error).not_to_contain_text("登录已过期")
    expect(error).not_to_contain_text("刷新页面后")
    expect(page.locator("#d-pass")).to_be_focused()
    expect(page.locator("#d-pass")).to_have_value("")
    page.screenshot(path=str(artifacts / "terminal-refund-wrong-password.png"))

    page.keyboard.type("password123")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("退货完成")
    expect(page.locator("#t-dialog .t-change")).to_have_text("￥10.00")
    session.rollback()
    assert session.scalars(select(Refund)).one().cash_fen == 1000
    assert session.scalars(select(Shift)).one().status == "open"  # the cashier was never signed out
