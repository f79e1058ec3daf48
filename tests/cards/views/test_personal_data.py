"""ID numbers and phones on the bureau's pages: masked everywhere; one click (a POST with its
CSRF token) reveals one person's, logged with who, when and from where; the printable statement
and card sheet are logged as exports; the search finds people by the blind indexes."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cards.models import Card
from cards.services import beneficiaries
from cards.services.text import mask_id_number
from core import audit
from core.auth import Role
from core.errors import ValidationError
from tests.cards.conftest import ACTOR, make_id, person_row, roster_csv
from tests.conftest import TEST_KEYS


def _events(session: Any, kind: str) -> list[audit.AuditEntry]:
    session.rollback()
    return list(audit.search(session, kinds=[kind]))


def _csrf(page: str) -> str:
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    return token.group(1)


def _sign_in(client: FlaskClient, make_user: Any, role: Role) -> Any:
    user = make_user(role)
    token = _csrf(client.get("/").get_data(as_text=True))
    answer = client.post(
        "/", data={"username": user.username, "password": "password123", "csrf_token": token}
    )
    assert answer.status_code == 302
    return user


def test_pages_show_numbers_masked(people_with_cards, session, client, login, clock):
    beneficiaries.add_proxy(
        session,
        people_with_cards[0].account.beneficiary_id,
        keys=TEST_KEYS,
        name="张小",
        relation="女儿",
        phone="13912345678",
        at=clock(),
        actor=ACTOR,
    )
    session.commit()
    login(Role.BUREAU)
    person_id = people_with_cards[0].account.beneficiary_id
    pages = [
        client.get("/cards/people").get_data(as_text=True),
        client.get(f"/cards/people/{person_id}").get_data(as_text=True),
        client.get(f"/cards/people/{person_id}/statement").get_data(as_text=True),
        client.get("/cards/sheet?all=1").get_data(as_text=True),
    ]
    for page in pages:
        for n in range(1, 6):
            assert make_id(n) not in page
        assert "13800000000" not in page and "13912345678" not in page
    assert mask_id_number(make_id(1)) in pages[0] and mask_id_number(make_id(1)) in pages[1]
    assert "138****0000" in pages[1] and "139****5678" in pages[1]
    assert mask_id_number(make_id(1)) in pages[2]


def test_the_import_preview_masks_the_file_numbers(client, login):
    login(Role.BUREAU)
    data = roster_csv([person_row(1), person_row(2), person_row(3, id_number=make_id(1))])
    page = client.post(
        "/cards/import",
        data={"file": (io.BytesIO(data), "名册.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "新增 2 人" in page or "新增（2）" in page
    assert make_id(1) not in page and make_id(2) not in page
    assert mask_id_number(make_id(1)) in page  # the duplicate row's message, masked


def test_reveal_is_a_logged_post_with_its_csrf_token(
    people_with_cards, session, csrf_app: Flask, make_user
):
    client = csrf_app.test_client()
    user = _sign_in(client, make_user, Role.BUREAU)
    person_id = people_with_cards[0].account.beneficiary_id
    page = client.get(f"/cards/people/{person_id}").get_data(as_text=True)
    assert make_id(1) not in page and "显示完整身份证号" in page
    url = f"/cards/people/{person_id}/reveal"
    assert client.get(url).status_code == 405  # a link or a prefetch reveals nothing
    assert client.post(url).status_code == 400  # no CSRF token: refused
    assert _events(session, "id_reveal") == []
    shown = client.post(url, data={"csrf_token": _csrf(page)})
    text = shown.get_data(as_text=True)
    assert shown.status_code == 200 and make_id(1) in text and "13800000000" in text
    assert shown.headers["Cache-Control"] == "no-store"
    assert "已记入审计日志" in text
    (event,) = _events(session, "id_reveal")
    assert event.actor == user.username and event.address == "127.0.0.1"
    assert event.subject == f"beneficiary:{person_id}" and event.at is not None
    assert event.detail["id_number"] == mask_id_number(make_id(1))
    assert make_id(1) not in str(event.detail)
    # the next visit is masked again
    assert make_id(1) not in client.get(f"/cards/people/{person_id}").get_data(as_text=True)


def test_only_the_bureau_may_reveal(people_with_cards, session, client, login):
    login(Role.SUPERVISOR)
    person_id = people_with_cards[0].account.beneficiary_id
    assert client.post(f"/cards/people/{person_id}/reveal").status_code == 403
    assert _events(session, "id_reveal") == []


def test_printouts_of_personal_data_are_logged_as_exports(
    people_with_cards, session, client, login
):
    user = login(Role.BUREAU)
    person_id = people_with_cards[0].account.beneficiary_id
    assert client.get(f"/cards/people/{person_id}/statement").status_code == 200
    assert client.get("/cards/sheet?all=1").status_code == 200
    statement, sheet = _events(session, "export")
    assert statement.detail == {"what": "statement", "format": "html"}
    assert statement.subject == f"beneficiary:{person_id}" and statement.actor == user.username
    assert sheet.detail == {"what": "card_sheet", "cards": 5, "all": True}


@pytest.fixture
def phones(import_rows) -> None:
    rows = [person_row(n) for n in range(1, 4)]
    rows[1][6] = "13911112222"
    rows[2][1] = "张三丰"
    rows[2][6] = "0371-63125555"
    import_rows(rows)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("测试", ["测试1", "测试2"]),
        (make_id(2), ["测试2"]),
        (mask_id_number(make_id(2)), ["测试2"]),
        (make_id(2)[-4:], ["测试2"]),  # the last four of an ID number
        ("2222", ["测试2"]),  # the last four of a phone
        ("5555", ["张三丰"]),
        ("13911112222", ["测试2"]),  # a full phone
        ("张三丰5555", ["张三丰"]),  # the cashier's lookup: name and last four
        (f"测试 {make_id(1)[-4:]}", ["测试1"]),
        ("测试5555", []),
    ],
)
def test_search_by_blind_indexes(phones, session, query, names):
    found = beneficiaries.search_people(session, query, keys=TEST_KEYS)
    assert sorted(p.name for p in found) == sorted(names)


def test_find_by_name_and_last4(phones, session):
    found = beneficiaries.find_by_name_and_last4(session, "张三", "5555", keys=TEST_KEYS)
    assert [p.name for p in found] == ["张三丰"]
    assert beneficiaries.find_by_name_and_last4(session, "测试", "５５５５", keys=TEST_KEYS) == []
    with pytest.raises(ValidationError, match="后四位"):
        beneficiaries.find_by_name_and_last4(session, "张三", "55", keys=TEST_KEYS)
    with pytest.raises(ValidationError, match="姓名"):
        beneficiaries.find_by_name_and_last4(session, " ", "5555", keys=TEST_KEYS)


def test_the_card_register_decrypts_only_for_the_csv(people_with_cards, session, cli):
    """`cards list` as a table masks; the csv (the bureau's export) is full and logged."""
    table = cli("cards", "list").output
    assert make_id(1) not in table and mask_id_number(make_id(1)) in table
    assert _events(session, "export") == []
    csv_text = cli("cards", "list", "--format", "csv").output
    assert make_id(1) in csv_text
    (event,) = _events(session, "export")
    assert event.subject == "cards list" and event.detail["rows"] == 5
    assert event.actor.startswith("cli:")
    assert session.scalar(select(Card.id).limit(1)) is not None


def test_the_search_form_posts_so_no_number_lands_in_a_url(people_with_cards, client, login):
    login(Role.BUREAU)
    form = client.get("/cards/people").get_data(as_text=True)
    assert '<form method="post" class="search">' in form
    found = client.post("/cards/people", data={"q": make_id(3)}).get_data(as_text=True)
    assert "王五" in found and "李四" not in found and make_id(3) not in found
