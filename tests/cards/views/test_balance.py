"""The public balance page behind the card's QR code: what it shows and never shows, its JSON,
404s indistinguishable from any unknown page, rotation on replacement, privacy headers."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from cards import hooks
from cards.hooks import CardsHooks, ClothingStatus
from cards.services import cards, ledger, topup
from cards.services.balance import card_for_token, next_topup_date
from cards.services.text import mask_name
from core.money import Money
from core.periods import Month
from tests.cards.conftest import ACTOR
from tests.cards.views.conftest import ADDRESS, HOURS, JSON, STORE_PHONE, Holder
from tests.conftest import SHANGHAI, TEST_KEYS, shanghai


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
    assert mask_name(name) == masked


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
            tz=SHANGHAI,
            actor=ACTOR,
            keys=TEST_KEYS,
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


def test_a_later_months_credit_already_in_the_list_moves_the_next_topup_past_it(
    client: FlaskClient, holder: Holder, session: Session, settings: Any, clock: Any
) -> None:
    # December's run was posted (its business day 1 December) and the page is read on a clock
    # still in November: the list shows 12月补贴, so the next credit is January's, not December's.
    topup.run_topup(
        session,
        settings,
        Month(2026, 12),
        at=shanghai(2026, 12, 1, 9, 0),
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()
    clock.set(shanghai(2026, 11, 30, 10, 0))
    data = client.get(holder.url, headers=JSON).get_json()
    assert data["next_topup"] == "2027-01-01"
    page = client.get(holder.url).get_data(as_text=True)
    assert "12月补贴" in page and "1月1日" in page and "12月1日</b>" not in page


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
    through = Month.of_date(today) if credited else None
    assert next_topup_date(today, day, through) == expected


def test_next_topup_after_a_later_month_already_credited() -> None:
    # January's credit is in (posted ahead) while it is still December: the next is February's.
    assert next_topup_date(date(2026, 12, 20), 1, Month(2027, 1)) == date(2027, 2, 1)
    # an old month's credit does not move the next one
    assert next_topup_date(date(2026, 12, 20), 1, Month(2026, 10)) == date(2026, 12, 1)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(1, 31),
    st.booleans(),
)
def test_next_topup_is_in_this_or_next_month(today: date, day: int, credited: bool) -> None:
    result = next_topup_date(today, day, Month.of_date(today) if credited else None)
    month = Month.of_date(today).next() if credited else Month.of_date(today)
    assert Month.of_date(result) == month
    assert result.day == min(day, month.last_day.day)


def test_clothing_taken_says_from_when_the_next_one(
    app: Flask, client: FlaskClient, holder: Holder
) -> None:
    taken = ClothingStatus(
        quarter="2026-Q4",
        allowed=1,
        used=1,
        last_taken_at=shanghai(2026, 10, 9, 10, 0),
        next_available=date(2027, 1, 1),
    )
    hooks.install(app, CardsHooks(clothing_allowance=lambda *_: taken))
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
    new = cards.replace_card(session, holder.card.card_no, at=clock(), actor=ACTOR)
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
    cards.freeze_card(session, holder.card.card_no, reason="挂失", at=clock(), actor=ACTOR)
    session.commit()
    answer = client.get(holder.url)
    assert answer.status_code == 404 and answer.data == not_found_body(client)


def test_token_lookup_is_exact(holder: Holder, session: Session) -> None:
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
