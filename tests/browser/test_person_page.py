"""The bureau's person page in a real browser: the ID number and phone masked, one click shows
them in full (and is logged), the next visit is masked again."""

from __future__ import annotations

from typing import Any

import pytest

from cards.services.text import mask_id_number
from core import audit
from core.auth import Role
from tests.cards import conftest as cards_fixtures
from tests.cards.conftest import make_id

import_rows = cards_fixtures.import_rows  # the cards tests' fixtures, here too
people_with_cards = cards_fixtures.people_with_cards

pytestmark = pytest.mark.browser


def test_reveal_one_persons_numbers(
    browser: Any, live_server: str, make_user: Any, people_with_cards: Any, session: Any, artifacts
) -> None:
    make_user(Role.BUREAU, username="zhang")
    person_id = people_with_cards[0].account.beneficiary_id
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(live_server + "/")
    page.fill("input[name=username]", "zhang")
    page.fill("input[name=password]", "password123")
    page.keyboard.press("Enter")
    page.wait_for_url(live_server + "/office")
    page.goto(f"{live_server}/cards/people/{person_id}")
    assert page.locator("#id-number").inner_text() == mask_id_number(make_id(1))
    assert page.locator("#phone").inner_text() == "138****0000"
    page.screenshot(path=str(artifacts / "person-masked.png"))
    page.get_by_role("button", name="显示完整身份证号与电话").click()
    page.wait_for_selector("text=已记入审计日志")
    assert page.locator("#id-number").inner_text() == make_id(1)
    assert page.locator("#phone").inner_text() == "13800000000"
    page.screenshot(path=str(artifacts / "person-revealed.png"))
    page.goto(f"{live_server}/cards/people/{person_id}")
    assert page.locator("#id-number").inner_text() == mask_id_number(make_id(1))
    session.rollback()
    (event,) = list(audit.search(session, kinds=["id_reveal"]))
    assert event.actor == "zhang" and event.address == "127.0.0.1"
