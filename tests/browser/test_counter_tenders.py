"""The QR tender at the counter: the customer pays the store's own WeChat/Alipay code, the
cashier records the transaction's last digits; the X report keeps it apart from cash."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.auth import Role
from pos.models import Sale
from tests.browser.counter import OIL, RICE, add_staff, scan, terminal
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store

pytestmark = pytest.mark.browser


def test_a_qr_payment_is_recorded_with_its_reference_and_kept_apart_from_cash(
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
    dialog = page.locator("#t-dialog")
    scan(page, RICE)
    scan(page, OIL)  # 40.30 at list price
    page.keyboard.press("F5")
    expect(dialog).to_contain_text("Q 扫码收款")
    page.keyboard.press("q")
    expect(dialog).to_contain_text("扫码应收")
    expect(dialog).to_contain_text("￥40.30")
    page.keyboard.press("Enter")  # no digits yet
    expect(page.locator(".t-dialog-error")).to_contain_text("无效")
    page.keyboard.type("384512")
    page.screenshot(path=str(artifacts / "terminal-qr-tender.png"))
    page.keyboard.press("Enter")
    done = page.locator("#t-done")
    expect(done).to_contain_text("扫码收款")
    expect(done).to_contain_text("384512")
    expect(page.locator("#t-change")).to_have_text("￥0.00")

    scan(page, RICE)  # and one in cash
    page.keyboard.press("F5")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥0.00")
    page.keyboard.press("F10")
    report = page.locator("#t-dialog .t-report")
    expect(report).to_contain_text("扫码收款￥40.30")
    expect(report).to_contain_text("现金收入￥10.00")
    page.screenshot(path=str(artifacts / "terminal-x-qr.png"))
    session.rollback()
    sales = session.scalars(select(Sale).order_by(Sale.id)).all()
    assert [(s.paid_qr_fen, s.qr_reference, s.paid_cash_fen) for s in sales] == [
        (4030, "384512", 0),
        (0, "", 1000),
    ]
