"""The cashier terminal in a real browser, by keyboard alone: scan, quantities, card, pay, change."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from cards.models import Card
from cards.services.beneficiaries import add_proxy
from core.auth import Actor, Role
from pos.models import Sale
from tests.conftest import TEST_KEYS
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store  # the checkout tests' small store, as a fixture here too

pytestmark = pytest.mark.browser

RICE = "6901234567892"  # 10.00 list, 9.50 with a card
OIL = "6985430337657"  # 30.30 list, 27.88 with a card


def _terminal(browser: Any, live_server: str, make_user: Any) -> Any:
    """A cashier signed in through the / form, on the terminal page, at 1024x768."""
    from playwright.sync_api import expect

    make_user(Role.CASHIER, username="cashier")
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(live_server + "/")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", "password123")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/terminal")
    expect(page.locator("#scan")).to_be_focused()
    return page


def _scan(page: Any, code: str) -> None:
    """What a keyboard-wedge scanner does: digits typed fast into the focused field, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def test_scan_attach_card_pay_and_see_the_change(
    browser: Any, live_server: str, make_user: Any, artifacts: Any, store: Store, session: Any
) -> None:
    from playwright.sync_api import expect

    page = _terminal(browser, live_server, make_user)
    rows = page.locator("#t-rows tr")

    _scan(page, RICE)
    expect(rows).to_have_count(1)
    _scan(page, "2*" + OIL)
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator(".c-qty")).to_contain_text("2")
    _scan(page, RICE)  # the same code again: one more on its line
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".c-qty")).to_contain_text("2")
    expect(page.locator("#t-totals .t-due")).to_contain_text("80.60")  # list price: no card yet

    _scan(page, store.card.card_no)
    expect(page.locator("#t-card .t-holder")).to_have_text("张*云")
    expect(page.locator("#t-card .t-balance")).to_contain_text("50.00")
    # charity prices now: 2 x 9.50 + 2 x 27.88 = 74.76; the card pays its 50.00, cash the rest
    expect(rows.nth(0).locator(".c-charity")).to_have_text("9.50")
    expect(rows.nth(1).locator(".c-charity")).to_have_text("27.88")
    totals = page.locator("#t-totals")
    expect(totals).to_contain_text("慈善优惠")
    expect(totals.locator(".t-due")).to_contain_text("74.76")
    expect(totals.locator(".t-discount")).to_contain_text("5.84")
    expect(totals.locator(".t-cash")).to_contain_text("24.76")
    expect(page.locator("#scan")).to_be_focused()

    page.keyboard.press("F4")
    expect(page.locator("#t-dialog")).to_contain_text("现金应收")
    expect(page.locator("#d-cash")).to_be_focused()
    page.keyboard.type("100")
    page.keyboard.press("Enter")

    expect(page.locator("#t-change")).to_have_text("￥75.24")
    expect(page.locator("#t-done")).to_contain_text("未启用打印机")  # printer.kind = none
    expect(page.locator("#t-done")).to_contain_text("0.00")  # card balance after
    expect(page.locator("#t-dialog-backdrop")).to_be_hidden()
    expect(page.locator("#scan")).to_be_focused()
    page.screenshot(path=str(artifacts / "terminal-sale.png"))

    session.expire_all()
    sale = session.scalars(select(Sale)).one()
    assert sale.list_total_fen == 8060
    assert sale.discount_total_fen == 584
    assert sale.total_fen == 7476
    assert sale.paid_card_fen == 5000
    assert sale.paid_cash_fen == 10000
    assert sale.change_fen == 7524
    assert [(line.barcode, line.qty_milli) for line in sale.lines] == [(RICE, 2000), (OIL, 2000)]
    assert str(store.balance(session)) == "0.00"

    # the next customer's first scan starts a new sale at list price
    _scan(page, OIL)
    expect(rows).to_have_count(1)
    expect(page.locator("#t-done")).to_be_hidden()
    expect(page.locator("#t-card")).to_contain_text("未刷卡")
    expect(page.locator("#t-totals .t-due")).to_contain_text("30.30")


def test_unknown_barcode_shows_a_red_chinese_error(
    browser: Any, live_server: str, make_user: Any, artifacts: Any, store: Store
) -> None:
    from playwright.sync_api import expect

    page = _terminal(browser, live_server, make_user)
    _scan(page, RICE)
    expect(page.locator("#t-rows tr")).to_have_count(1)

    _scan(page, "6900000000001")
    message = page.locator("#t-message")
    expect(message).to_have_class("t-message t-error")
    expect(message).to_contain_text("未找到条码为 6900000000001 的商品")
    expect(message).to_contain_text("请核对条码")  # says what to do
    background = message.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(185, 28, 28)"
    # nothing changed in the cart, and the field is ready for the next scan
    expect(page.locator("#t-rows tr")).to_have_count(1)
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#scan")).to_have_value("")
    page.screenshot(path=str(artifacts / "terminal-error.png"))


def test_keyboard_line_editing_and_hold_resume(
    browser: Any, live_server: str, make_user: Any, store: Store
) -> None:
    from playwright.sync_api import expect

    page = _terminal(browser, live_server, make_user)
    rows = page.locator("#t-rows tr")
    _scan(page, RICE)
    _scan(page, OIL)
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_have_class("t-selected")  # the last scanned line

    page.keyboard.press("ArrowUp")
    expect(rows.nth(0)).to_have_class("t-selected")
    page.keyboard.press("+")
    page.keyboard.press("+")
    expect(rows.nth(0).locator(".c-qty")).to_contain_text("3")
    page.keyboard.press("-")
    expect(rows.nth(0).locator(".c-qty")).to_contain_text("2")
    expect(page.locator("#t-totals .t-due")).to_contain_text("50.30")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Delete")
    expect(rows).to_have_count(1)
    expect(page.locator("#t-totals .t-due")).to_contain_text("20.00")

    page.keyboard.press("F6")  # hold
    expect(page.locator("#t-message")).to_contain_text("已挂单")
    expect(rows).to_have_count(0)
    page.keyboard.press("F7")  # resume: pick it by its number
    expect(page.locator("#t-dialog")).to_contain_text("取回挂单")
    page.keyboard.press("1")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator(".c-qty")).to_contain_text("2")

    page.keyboard.press("Escape")  # clear the sale, with a confirmation
    expect(page.locator("#t-dialog")).to_contain_text("清空")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(0)
    expect(page.locator("#scan")).to_be_focused()


def test_proxy_sale_supervisor_refund_then_blind_shift_close(
    browser: Any,
    live_server: str,
    make_user: Any,
    artifacts: Any,
    store: Store,
    session: Any,
    clock: Any,
) -> None:
    from playwright.sync_api import expect

    from pos.models import Refund, Shift

    make_user(Role.SUPERVISOR, username="boss")
    add_proxy(
        session,
        store.card.account.beneficiary_id,
        keys=TEST_KEYS,
        name="王五",
        relation="邻居",
        phone="",
        at=clock(),
        actor=Actor(None, "test"),
    )
    session.commit()
    page = _terminal(browser, live_server, make_user)
    dialog = page.locator("#t-dialog")
    _scan(page, RICE)
    _scan(page, store.card.card_no)
    page.keyboard.press("F3")  # the neighbour collects for her
    expect(page.locator("#t-card")).to_contain_text("王五（邻居）")
    expect(page.locator("#t-totals .t-cash")).to_contain_text("0.00")
    page.keyboard.press("F4")
    expect(dialog).to_contain_text("无需现金")
    page.keyboard.press("Enter")  # the card pays it all
    expect(page.locator("#t-change")).to_have_text("￥0.00")
    assert str(store.balance(session)) == "40.50"

    page.keyboard.press("F8")  # refund: the last sale's number is already filled in
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("东北大米")
    page.keyboard.press("Enter")  # no lines: the whole sale
    page.keyboard.type("顾客不要了")
    page.keyboard.press("Enter")
    page.keyboard.type("boss")
    page.keyboard.press("Enter")
    page.keyboard.type("password123")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("退货完成")
    expect(dialog).to_contain_text("9.50")
    page.screenshot(path=str(artifacts / "terminal-refund.png"))
    page.keyboard.press("Escape")
    expect(page.locator("#scan")).to_be_focused()
    assert str(store.balance(session)) == "50.00"
    assert session.scalars(select(Sale)).one().proxy_name == "王五"
    refund = session.scalars(select(Refund)).one()
    assert refund.card_fen == 950
    assert refund.actor_name == "boss"

    page.keyboard.press("F10")  # the X report, without the expected cash
    expect(dialog).to_contain_text("销售笔数")
    expect(dialog).not_to_contain_text("应有现金")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("盲点")
    page.keyboard.type("1")  # one 100-yuan note that should not be there
    for _ in range(9):
        page.keyboard.press("Enter")
    expect(dialog).to_contain_text("差异原因")  # a variance needs a reason
    page.keyboard.type("多出一张")
    page.keyboard.press("Enter")
    expect(dialog).to_contain_text("Z 报表")
    expect(dialog).to_contain_text("100.00")
    page.screenshot(path=str(artifacts / "terminal-shift-close.png"))
    session.rollback()  # a fresh snapshot: the app committed in its own sessions
    shift = session.scalars(select(Shift)).one()
    assert shift.status == "closed"
    assert shift.variance_fen == 10000
    assert shift.variance_reason == "多出一张"


def test_a_lost_answer_is_retried_with_the_same_client_ref(
    browser: Any, live_server: str, make_user: Any, store: Store, session: Any
) -> None:
    """The sale commits but the answer never arrives: Enter again replays, never a second sale."""
    from playwright.sync_api import expect

    page = _terminal(browser, live_server, make_user)
    sent: list[dict[str, Any]] = []

    def lose_first_answer(route: Any) -> None:
        sent.append(route.request.post_data_json)
        if len(sent) == 1:
            route.fetch()  # the server does the work ...
            route.abort("connectionreset")  # ... and the cable is pulled before the answer
        else:
            route.continue_()

    page.route("**/api/v1/sales", lose_first_answer)
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.url.endswith("/sales") else None)
    page.route(
        "**/printing/state",
        lambda route: route.fulfill(
            json={
                "status": "error",
                "queued": 2,
                "failed": 1,
                "last_error": "缺纸",
                "last_error_at": None,
                "last_printed_at": None,
            }
        ),
    )
    _scan(page, "0.512*" + store.apples.barcode)  # a weighed product: 0.512 kg x 6.00
    expect(page.locator("#t-rows tr .c-qty")).to_contain_text("0.512")
    expect(page.locator("#t-totals .t-due")).to_contain_text("3.07")
    page.keyboard.press("F5")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(page.locator(".t-dialog-error")).to_contain_text("付款结果未知")
    page.keyboard.press("Escape")  # refused: the outcome must be known first
    expect(page.locator(".t-dialog-error")).to_contain_text("重试")
    page.keyboard.press("Enter")
    expect(page.locator("#t-change")).to_have_text("￥1.93")
    assert len(sent) == 2 and sent[0]["client_ref"] == sent[1]["client_ref"]
    assert sent[0]["payments"] == [{"method": "cash", "amount": "5.00"}]
    assert statuses == [200]  # the retry was answered as a replay of the committed sale
    session.rollback()  # a fresh snapshot
    assert session.scalar(select(func.count(Sale.id))) == 1
    expect(page.locator("#t-printer")).to_contain_text("打印机故障")


def test_a_phone_showing_the_balance_page_qr_attaches_the_card(
    browser: Any, live_server: str, make_user: Any, store: Store, session: Any
) -> None:
    """A scanner reading the QR on a beneficiary's phone types the balance page's URL."""
    from playwright.sync_api import expect

    # a token with '-' in it: typed by the scanner, never taken for the "one less" key
    session.execute(
        update(Card).where(Card.id == store.card.id).values(qr_token="ab-cd-" + "x" * 26)
    )
    session.commit()
    page = _terminal(browser, live_server, make_user)
    _scan(page, "http://kiosk.test/b/ab-cd-" + "x" * 26)
    expect(page.locator("#t-card .t-holder")).to_have_text("张*云")
    expect(page.locator("#t-card .t-balance")).to_contain_text("50.00")
    _scan(page, RICE)
    expect(page.locator("#t-rows tr").nth(0).locator(".c-charity")).to_have_text("9.50")
