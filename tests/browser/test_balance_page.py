"""The balance page on a phone (375x667) in a real browser, and the store tablet's kiosk."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from cards.models import Card
from cards.services import ledger, topup
from core.auth import Role
from core.config import Settings
from core.money import Money
from core.periods import Month
from tests.cards.conftest import ACTOR, import_rows, people_with_cards  # noqa: F401 (fixtures)
from tests.conftest import SHANGHAI, TEST_KEYS, shanghai

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 667}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        store={
            "address": "郑州市惠济区天河路 18 号（惠济区民政局东侧）",
            "hours": "每天 8:30-18:00",
            "phone": "0371-6312 3456",
        }
    )


@pytest.fixture
def card(people_with_cards: list[Card], session: Session, settings: Settings) -> Card:  # noqa: F811
    """张三云 with two monthly credits and a few purchases; now is 29 November 2026."""
    card = people_with_cards[0]
    purchases = [
        (10, 8, "16.80"),
        (10, 21, "23.45"),
        (11, 5, "12.60"),
        (11, 12, "9.90"),
        (11, 20, "28.23"),
    ]
    for n, (month, day, amount) in enumerate(purchases):
        if n in (0, 2):  # the month's credit on its first day
            topup.run_topup(
                session,
                settings,
                Month(2026, month),
                at=shanghai(2026, month, 1, 9),
                actor=ACTOR,
                keys=TEST_KEYS,
            )
        ledger.debit_for_sale(
            session,
            card.account_id,
            Money.parse(amount),
            sale_no=f"S{n:04d}",
            at=shanghai(2026, month, day, 15, 30),
            tz=SHANGHAI,
            actor=ACTOR,
            keys=TEST_KEYS,
        )
        if (month, day) == (11, 12):  # part of that sale comes back the next morning
            ledger.credit_refund(
                session,
                card.account_id,
                Money.parse("3.20"),
                sale_no=f"S{n:04d}",
                refund_no="R0001",
                at=shanghai(2026, 11, 13, 10),
                tz=SHANGHAI,
                actor=ACTOR,
                keys=TEST_KEYS,
            )
    session.commit()
    return card


def test_balance_page_on_a_phone(
    browser: Any, live_server: str, card: Card, artifacts: Any
) -> None:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    answer = page.goto(f"{live_server}/b/{card.qr_token}")
    assert answer.status == 200
    balance = page.get_by_test_id("balance")
    assert balance.inner_text().replace("\n", "") == "￥12.22"  # 100.00 - 90.98 + 3.20
    # very large digits, black on white, and nothing wider than the phone
    size = float(balance.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
    assert size >= 64
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    text = page.inner_text("body")
    assert "张*云" in text and "张三云" not in text
    assert "11月补贴" in text and "+50.00" in text and "-28.23" in text
    assert "下次补贴" in text and "12月1日" in text
    assert "天河路 18 号" in text
    robots = page.locator('meta[name="robots"]').get_attribute("content")
    assert robots is not None and "noindex" in robots
    page.screenshot(path=str(artifacts / "balance-page.png"), full_page=True)
    context.close()


def test_unknown_token_on_a_phone(browser: Any, live_server: str) -> None:
    page = browser.new_page(viewport=PHONE)
    answer = page.goto(f"{live_server}/b/AAAAAAAAAAAAAAAAAAAAAAAA")
    assert answer.status == 404
    assert "页面不存在" in page.inner_text("body")


def test_kiosk_shows_a_scan_and_clears(
    browser: Any, live_server: str, card: Card, app: Any, make_user: Any, artifacts: Any
) -> None:
    app.config["KIOSK_CLEAR_SECONDS"] = 3
    make_user(Role.CASHIER, username="kiosk")
    page = browser.new_page(viewport={"width": 800, "height": 1280})
    page.goto(live_server + "/")
    page.fill("input[name=username]", "kiosk")
    page.fill("input[name=password]", "password123")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(live_server + "/kiosk")
    # a wedge scanner types the number and Enter into the focused field
    page.keyboard.type(card.card_no)
    page.keyboard.press("Enter")
    page.wait_for_selector("#kiosk-view")
    assert page.get_by_test_id("balance").inner_text().replace("\n", "") == "￥12.22"
    page.screenshot(path=str(artifacts / "balance-kiosk.png"), full_page=True)
    page.wait_for_selector("#kiosk-view", state="detached", timeout=8000)
    page.wait_for_url(live_server + "/kiosk")
    assert "12.22" not in page.inner_text("body")
    assert page.evaluate("document.activeElement.id") == "kiosk-code"


ZOOMED = {"width": 188, "height": 334}  # a 375x667 phone at 200% zoom, in CSS pixels


def test_balance_page_at_200_percent_zoom_does_not_overflow(
    browser: Any, live_server: str, card: Card, session: Session, artifacts: Any
) -> None:
    # a four-digit balance, the widest a card holds in practice
    ledger.adjust(
        session,
        card.account_id,
        Money.parse("1222.28"),
        reason="测试大额",
        at=shanghai(2026, 11, 28, 9),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()
    context = browser.new_context(viewport=ZOOMED, device_scale_factor=4, is_mobile=True)
    page = context.new_page()
    assert page.goto(f"{live_server}/b/{card.qr_token}").status == 200
    balance = page.get_by_test_id("balance")
    assert balance.inner_text().replace("\n", "") == "￥1234.50"
    page.screenshot(path=str(artifacts / "balance-page-200pct.png"), full_page=True)
    width = ZOOMED["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # the balance stays inside its frame
    inside = balance.evaluate(
        """e => { const b = e.getBoundingClientRect();
                  const f = e.closest('.bp-card').getBoundingClientRect();
                  return e.scrollWidth <= e.clientWidth + 1 && b.left >= f.left
                         && b.right <= f.right + 0.5; }"""
    )
    assert inside
    # the masked name is on one line (not 张* / 云)
    lines = page.locator(".bp-name").evaluate(
        """e => { const r = document.createRange(); r.selectNodeContents(e);
                  const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
                  return tops.size; }"""
    )
    assert lines == 1
    assert page.locator(".bp-name").inner_text() == "张*云"
    context.close()
