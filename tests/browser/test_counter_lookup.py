"""F2 without the card: a name and the last four digits of the ID number or phone find the
holder, masked; the cashier picks by keyboard and the card is on the sale."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.auth import Role
from tests.browser.counter import RICE, add_staff, scan, terminal
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store, make_id

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


def test_a_holder_without_the_card_is_found_by_name_and_last_four(
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
    scan(page, RICE)
    dialog = page.locator("#t-dialog")

    page.keyboard.press("F2")
    expect(page.locator("#d-card")).to_be_focused()
    page.keyboard.type("张三云 ")
    page.keyboard.type("0000")  # nobody
    page.keyboard.press("Enter")
    expect(page.locator(".t-dialog-error")).to_contain_text("没有找到")

    page.locator("#d-card").fill("")
    page.keyboard.type("张三云 ")
    page.keyboard.type(make_id(1)[-4:])
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("找到 1 位持卡人")
    expect(dialog).to_contain_text("张*云")
    expect(dialog).not_to_contain_text("张三云")
    expect(dialog).to_contain_text("卡尾号 " + store.card.card_no[-4:])
    page.screenshot(path=str(artifacts / "terminal-lookup.png"))
    page.keyboard.press("Enter")
    expect(page.locator("#t-dialog-backdrop")).to_be_hidden()
    expect(page.locator("#t-card .t-holder")).to_have_text("张*云")
    expect(page.locator("#t-rows tr").nth(0).locator(".c-charity")).to_have_text("9.50")
    expect(page.locator("#scan")).to_be_focused()
    session.rollback()
    kinds = session.scalars(select(AuditEvent.kind).where(AuditEvent.kind == "card_lookup")).all()
    assert len(kinds) == 2  # the miss and the find
