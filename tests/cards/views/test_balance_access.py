"""Who may see the balance page how often: rate limiting per client address, the optional
phone-digits PIN (asked once per device, slowed down when wrong), and the store's kiosk."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from cards.models import Card
from cards.services import cards
from cards.services.balance import card_for_scan, phone_tail
from core.config import Settings
from tests.cards.conftest import ACTOR
from tests.cards.views.conftest import JSON, Holder

# --- rate limiting ---------------------------------------------------------------------------


@pytest.fixture
def strict_app(settings: Settings, database: Any, clock: Any) -> Flask:
    from pos.app import create_app

    app = create_app(
        settings.with_overrides(balance_page={"rate_limit": "3 per minute"}),
        database=database,
        clock=clock,
        testing=True,
    )
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_rate_limited_per_client_address(strict_app: Flask, holder: Holder) -> None:
    client = strict_app.test_client()
    first = {"REMOTE_ADDR": "10.0.0.1"}
    # guesses count like hits: two unknown tokens and one real one use up the minute
    assert client.get("/b/AAAAAAAAAAAAAAAAAAAAAAAA", environ_base=first).status_code == 404
    assert client.get("/b/BBBBBBBBBBBBBBBBBBBBBBBB", environ_base=first).status_code == 404
    assert client.get(holder.url, environ_base=first).status_code == 200
    refused = client.get(holder.url, environ_base=first)
    assert refused.status_code == 429
    text = refused.get_data(as_text=True)
    assert "查询太频繁" in text and "21.77" not in text
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Cache-Control"] == "no-store"
    as_json = client.get(holder.url, headers=JSON, environ_base=first)
    assert as_json.status_code == 429 and "查询太频繁" in as_json.get_json()["error"]["message"]
    # another address is not affected, nor are other pages
    assert client.get(holder.url, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200
    assert client.get("/healthz", environ_base=first).status_code == 200


def test_each_app_counts_on_its_own(strict_app: Flask, holder: Holder, app: Flask) -> None:
    """A second app (a test, a worker) does not inherit the first one's counts."""
    strict = strict_app.test_client()
    for _ in range(3):
        strict.get(holder.url)
    assert strict.get(holder.url).status_code == 429
    assert app.test_client().get(holder.url).status_code == 200


# --- the PIN ---------------------------------------------------------------------------------


@pytest.fixture
def pin_app(settings: Settings, database: Any, clock: Any) -> Flask:
    from pos.app import create_app

    app = create_app(
        settings.with_overrides(balance_page={"pin": True}),
        database=database,
        clock=clock,
        testing=True,
    )
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_pin_is_asked_once_per_device(pin_app: Flask, holder: Holder, clock: Any) -> None:
    phone = pin_app.test_client()
    form = phone.get(holder.url)
    assert form.status_code == 200
    text = form.get_data(as_text=True)
    assert "手机号的后四位" in text and "21.77" not in text and "张*云" not in text
    assert phone.get(holder.url, headers=JSON).status_code == 401

    wrong = phone.post(holder.url, data={"pin": "1234"})
    assert wrong.status_code == 400 and "号码不对" in wrong.get_data(as_text=True)
    # the next try must wait (1 s after the first wrong PIN), even with the right digits
    hurried = phone.post(holder.url, data={"pin": "0000"})
    assert hurried.status_code == 429 and "后再试" in hurried.get_data(as_text=True)

    clock.advance(seconds=2)
    right = phone.post(holder.url, data={"pin": "0000"})
    assert right.status_code == 303 and right.headers["Location"].endswith(holder.url)
    cookie = right.headers["Set-Cookie"]
    assert "balance_pin=" in cookie and "HttpOnly" in cookie and "Path=/b/" in cookie
    shown = phone.get(holder.url)
    assert shown.status_code == 200 and "21.77" in shown.get_data(as_text=True)
    assert phone.get(holder.url, headers=JSON).get_json()["balance"] == "21.77"

    other_device = pin_app.test_client()
    assert "21.77" not in other_device.get(holder.url).get_data(as_text=True)


def test_wrong_pins_slow_down_exponentially(pin_app: Flask, holder: Holder, clock: Any) -> None:
    phone = pin_app.test_client()
    delays: list[int] = []
    for _ in range(6):
        clock.advance(seconds=delays[-1] if delays else 0)
        answer = phone.post(holder.url, data={"pin": "9999"})
        assert answer.status_code == 400
        seconds = re.search(r"(\d+) 秒", answer.get_data(as_text=True))
        assert seconds is not None
        delays.append(int(seconds.group(1)))
    assert delays == [1, 2, 4, 8, 16, 32]
    clock.advance(seconds=31)
    assert phone.post(holder.url, data={"pin": "0000"}).status_code == 429
    clock.advance(seconds=1)
    assert phone.post(holder.url, data={"pin": "0000"}).status_code == 303


def test_a_forged_pin_cookie_is_ignored(pin_app: Flask, holder: Holder) -> None:
    phone = pin_app.test_client()
    phone.set_cookie("balance_pin", "[1,2,3,4,5]", path="/b/")
    assert "手机号的后四位" in phone.get(holder.url).get_data(as_text=True)


def test_the_pin_cookie_of_one_card_does_not_open_another(
    pin_app: Flask, holder: Holder, people_with_cards: list[Card]
) -> None:
    phone = pin_app.test_client()
    assert phone.post(holder.url, data={"pin": "0000"}).status_code == 303
    other = people_with_cards[1]
    assert "手机号的后四位" in phone.get(f"/b/{other.qr_token}").get_data(as_text=True)


def test_unknown_token_is_404_even_with_pin_on(pin_app: Flask, holder: Holder) -> None:
    phone = pin_app.test_client()
    answer = phone.get("/b/AAAAAAAAAAAAAAAAAAAAAAAA")
    assert answer.status_code == 404
    assert answer.data == phone.get("/nothing-here").data


@pytest.mark.parametrize(
    ("phone", "tail"),
    [
        ("13800001234", "1234"),
        ("138 0000 5678", "5678"),
        ("１３８０００００１２３", "0123"),
        ("12", None),
    ],
)
def test_phone_tail(phone: str, tail: str | None) -> None:
    assert phone_tail(phone) == tail


# --- kiosk -----------------------------------------------------------------------------------


def test_kiosk_needs_a_signed_in_tablet(client: FlaskClient) -> None:
    answer = client.get("/kiosk")
    assert answer.status_code == 302 and "/?next=" in answer.headers["Location"]


def test_kiosk_shows_a_scanned_card_and_clears(
    client: FlaskClient, holder: Holder, login: Any
) -> None:
    login("cashier")
    empty = client.get("/kiosk").get_data(as_text=True)
    assert "请扫描购物卡" in empty and "21.77" not in empty and 'http-equiv="refresh"' not in empty
    for code in (
        holder.card.card_no,
        f"http://kiosk.test/b/{holder.token}",
        holder.token,
        f" {holder.card.card_no}\n",
    ):
        answer = client.post("/kiosk", data={"code": code})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200, code
        assert "21.77" in page and "张*云" in page, code
        assert 'http-equiv="refresh" content="20;url=/kiosk"' in page
        assert answer.headers["Cache-Control"] == "no-store"
    missing = client.post("/kiosk", data={"code": "8600000000000000"}).get_data(as_text=True)
    assert "没有查到这张卡" in missing and "21.77" not in missing


def test_kiosk_scan_parsing(holder: Holder, session: Session, clock: Any) -> None:
    card_no = holder.card.card_no
    assert card_for_scan(session, card_no) is not None
    assert card_for_scan(session, "".join(chr(ord(c) + 0xFEE0) for c in card_no)) is not None
    assert card_for_scan(session, f"https://x.example/b/{holder.token}?utm=1") is not None
    assert card_for_scan(session, card_no[:-1] + str((int(card_no[-1]) + 1) % 10)) is None
    assert card_for_scan(session, "") is None
    assert card_for_scan(session, "https://x.example/other") is None
    cards.replace_card(session, card_no, at=clock(), actor=ACTOR)
    assert card_for_scan(session, card_no) is None


def test_pin_form_works_with_csrf_protection_on(
    settings: Settings, database: Any, clock: Any, holder: Holder
) -> None:
    """As in production: the PIN form carries its CSRF token; a post without it changes nothing."""
    from pos.app import create_app

    app = create_app(
        settings.with_overrides(balance_page={"pin": True}),
        database=database,
        clock=clock,
        testing=True,
    )
    phone = app.test_client()
    form = phone.get(holder.url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    refused = phone.post(holder.url, data={"pin": "0000"})
    assert refused.status_code == 400 and "balance_pin=" not in refused.headers.get(
        "Set-Cookie", ""
    )
    accepted = phone.post(holder.url, data={"pin": "0000", "csrf_token": token.group(1)})
    assert accepted.status_code == 303
    assert "21.77" in phone.get(holder.url).get_data(as_text=True)
