"""The public balance page behind the card's QR code: what it shows and never shows, its JSON,
404s indistinguishable from any unknown page, rotation on replacement, rate limiting, privacy
headers, the optional phone-digits PIN and the kiosk."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from cards import ledger, services, topup
from cards.balance_page import card_for_scan, next_topup_date, phone_tail
from cards.models import Card
from cards.services import ClothingStatus
from core.config import Settings
from core.money import Money
from core.periods import Month
from tests.cards.conftest import ACTOR, make_id
from tests.conftest import shanghai

JSON = {"Accept": "application/json"}
ADDRESS = "郑州市惠济区天河路 18 号"
HOURS = "每天 8:30-18:00（周一休息）"
STORE_PHONE = "0371-6312 3456"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(store={"address": ADDRESS, "hours": HOURS, "phone": STORE_PHONE})


@dataclass
class Holder:
    card: Card
    id_number: str
    token: str

    @property
    def url(self) -> str:
        return f"/b/{self.token}"


@pytest.fixture
def holder(people_with_cards: list[Card], session: Session, settings: Settings) -> Holder:
    """张三云 (低保, phone 13800000000): the November credit of 50.00 on 1 November, a purchase
    of 28.23 on 20 November; now (the clock) is 29 November 2026 10:00."""
    topup.run_topup(session, settings, Month(2026, 11), at=shanghai(2026, 11, 1, 9, 0), actor=ACTOR)
    card = people_with_cards[0]
    ledger.debit_for_sale(
        session,
        card.account_id,
        Money.parse("28.23"),
        sale_no="S0001",
        at=shanghai(2026, 11, 20, 15, 30),
        actor=ACTOR,
    )
    session.commit()
    return Holder(card=card, id_number=make_id(1), token=card.qr_token)


def not_found_body(client: FlaskClient) -> bytes:
    answer = client.get("/no-such-page-at-all")
    assert answer.status_code == 404
    return answer.data


# --- what the page shows ---------------------------------------------------------------------


def test_page_shows_masked_holder_balance_movements_and_store(
    client: FlaskClient, holder: Holder
) -> None:
    answer = client.get(holder.url)
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "张*云" in page
    assert f"卡号尾号 <b>{holder.card.card_no[-4:]}</b>" in page
    assert "21.77" in page  # 50.00 - 28.23
    assert re.search(r"超市购物.*?11月20日.*?-28\.23", page, re.S)
    assert re.search(r"11月补贴.*?11月1日.*?\+50\.00", page, re.S)
    assert "下次补贴" in page and "12月1日" in page
    assert "爱心衣物" in page and "可以免费领取" in page
    assert ADDRESS in page and HOURS in page and STORE_PHONE in page


def test_page_never_shows_id_number_full_name_phone_or_category(
    client: FlaskClient, holder: Holder
) -> None:
    for answer in (client.get(holder.url), client.get(holder.url, headers=JSON)):
        text = answer.get_data(as_text=True)
        assert answer.status_code == 200
        assert "张三云" not in text
        assert holder.id_number not in text and holder.id_number[-6:] not in text
        assert "13800000000" not in text
        for category in ("低保", "优抚", "特困"):
            assert category not in text
        assert holder.card.card_no not in text


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三云", "张*云"), ("李四", "李*"), ("欧阳娜娜", "欧**娜"), ("王", "王")],
)
def test_masking_keeps_first_and_last_character(name: str, masked: str) -> None:
    assert services.mask_name(name) == masked


def test_json_gives_the_contract_fields_and_what_the_page_shows(
    client: FlaskClient, holder: Holder
) -> None:
    answer = client.get(holder.url, headers=JSON)
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    data = answer.get_json()
    assert {"holder", "balance", "last_topup", "recent", "clothing"} <= data.keys()
    assert data["holder"] == "张*云"
    assert data["card_tail"] == holder.card.card_no[-4:]
    assert data["balance"] == "21.77"
    assert data["last_topup"]["label"] == "11月补贴"
    assert data["last_topup"]["amount"] == "+50.00"
    assert data["last_topup"]["date"] == "2026-11-01"
    assert data["this_month_topup"] == {"month": "2026-11", "date": "2026-11-01", "amount": "50.00"}
    assert [(m["date"], m["label"], m["amount"]) for m in data["recent"]] == [
        ("2026-11-20", "超市购物", "-28.23"),
        ("2026-11-01", "11月补贴", "+50.00"),
    ]
    assert data["clothing"]["quarter"] == "2026-Q4"
    assert data["clothing"]["allowed"] == 1 and data["clothing"]["left"] == 1
    assert data["next_topup"] == "2026-12-01"
    assert data["store"]["address"] == ADDRESS


def test_recent_shows_the_last_ten_movements_newest_first(
    client: FlaskClient, holder: Holder, session: Session
) -> None:
    for n in range(12):
        ledger.debit_for_sale(
            session,
            holder.card.account_id,
            Money(n + 1),
            sale_no=f"S1{n:03d}",
            at=shanghai(2026, 11, 21, 9, n),
            actor=ACTOR,
        )
    session.commit()
    recent = client.get(holder.url, headers=JSON).get_json()["recent"]
    assert [m["amount"] for m in recent] == [f"-0.{n:02d}" for n in range(12, 2, -1)]
    assert client.get(holder.url).get_data(as_text=True).count("<li>") == 10


def test_before_this_months_credit_the_next_topup_is_this_month(
    client: FlaskClient, holder: Holder, clock: Any
) -> None:
    clock.set(shanghai(2026, 12, 1, 7, 0))  # December: not credited yet
    data = client.get(holder.url, headers=JSON).get_json()
    assert data["this_month_topup"] is None
    assert data["last_topup"]["label"] == "11月补贴"
    assert data["next_topup"] == "2026-12-01"
    page = client.get(holder.url).get_data(as_text=True)
    assert "12月补贴" in page and "还没到账" in page


@pytest.mark.parametrize(
    ("today", "day", "credited", "expected"),
    [
        (date(2026, 11, 29), 1, True, date(2026, 12, 1)),
        (date(2026, 11, 29), 1, False, date(2026, 11, 1)),
        (date(2026, 11, 3), 5, False, date(2026, 11, 5)),
        (date(2026, 12, 10), 5, True, date(2027, 1, 5)),
        (date(2026, 1, 10), 31, True, date(2026, 2, 28)),
    ],
)
def test_next_topup_date(today: date, day: int, credited: bool, expected: date) -> None:
    assert next_topup_date(today, day, credited) == expected


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(1, 31),
    st.booleans(),
)
def test_next_topup_is_in_this_or_next_month(today: date, day: int, credited: bool) -> None:
    result = next_topup_date(today, day, credited)
    month = Month.of_date(today).next() if credited else Month.of_date(today)
    assert Month.of_date(result) == month
    assert result.day == min(day, month.last_day.day)


def test_clothing_taken_says_from_when_the_next_one(
    client: FlaskClient, holder: Holder, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = ClothingStatus(
        quarter="2026-Q4",
        allowed=1,
        used=1,
        last_taken_at=shanghai(2026, 10, 9, 10, 0),
        next_available=date(2027, 1, 1),
    )
    monkeypatch.setattr(services, "_clothing_provider", lambda *_: taken)
    page = client.get(holder.url).get_data(as_text=True)
    assert "本季度已领取" in page and "1月1日起" in page
    clothing = client.get(holder.url, headers=JSON).get_json()["clothing"]
    assert clothing["left"] == 0 and clothing["next_available"] == "2027-01-01"


# --- not found, rotation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "AAAAAAAAAAAAAAAAAAAAAAAA",
        "short",
        "x" * 500,
        "not a token at all!",
        "%00%27%22",
        "a/b/c",
    ],
)
def test_unknown_token_is_the_same_404_as_any_unknown_page(
    client: FlaskClient, holder: Holder, token: str
) -> None:
    answer = client.get(f"/b/{token}")
    assert answer.status_code == 404
    assert answer.data == not_found_body(client)
    assert answer.headers["Cache-Control"] == "no-store"


def test_replacing_a_card_rotates_its_token(
    client: FlaskClient, holder: Holder, session: Session, clock: Any
) -> None:
    unknown = not_found_body(client)
    new = services.replace_card(session, holder.card.card_no, at=clock(), actor=ACTOR)
    session.commit()
    assert new.qr_token != holder.token
    old_answer = client.get(holder.url)
    assert old_answer.status_code == 404 and old_answer.data == unknown
    assert client.get(holder.url, headers=JSON).status_code == 404
    fresh = client.get(f"/b/{new.qr_token}")
    assert fresh.status_code == 200
    assert new.card_no[-4:] in fresh.get_data(as_text=True)
    assert client.get(f"/b/{new.qr_token}", headers=JSON).get_json()["balance"] == "21.77"


def test_a_frozen_card_shows_nothing(
    client: FlaskClient, holder: Holder, session: Session, clock: Any
) -> None:
    services.freeze_card(session, holder.card.card_no, reason="挂失", at=clock(), actor=ACTOR)
    session.commit()
    answer = client.get(holder.url)
    assert answer.status_code == 404 and answer.data == not_found_body(client)


def test_token_lookup_is_exact(holder: Holder, session: Session) -> None:
    from cards.balance_page import card_for_token

    assert card_for_token(session, holder.token) is not None
    assert card_for_token(session, holder.token.swapcase()) is None
    assert card_for_token(session, holder.token[:-1]) is None
    assert card_for_token(session, holder.token + "A") is None


# --- headers ---------------------------------------------------------------------------------


def test_answers_are_never_cached_nor_indexed(client: FlaskClient, holder: Holder) -> None:
    for answer in (
        client.get(holder.url),
        client.get(holder.url, headers=JSON),
        client.get("/b/AAAAAAAAAAAAAAAAAAAAAAAA"),
    ):
        assert answer.headers["Cache-Control"] == "no-store"
        assert "noindex" in answer.headers["X-Robots-Tag"]
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    page = client.get(holder.url).get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in page


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
    services.replace_card(session, card_no, at=clock(), actor=ACTOR)
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
