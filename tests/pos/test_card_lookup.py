"""`GET /api/v1/cards?q=`: the cashier finds a holder who forgot the card by a name and the last
four digits of the ID number or phone; masked, at most five, every lookup audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cards.services.lookup import parse_query
from core.audit import AuditEvent
from core.auth import Role
from core.errors import ValidationError
from tests.pos.conftest import Store, make_id


def test_a_name_and_the_last_four_digits_find_the_card_masked(
    api: Any, store: Store, session: Any
) -> None:
    last4 = make_id(1)[-4:]
    answer = api(Role.CASHIER).get(f"/api/v1/cards?q=张三云 {last4}")
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "items": [
            {
                "card_no": store.card.card_no,
                "holder": "张*云",
                "balance": "50.00",
                "status": "active",
                "category": "低保",
            }
        ]
    }
    assert "张三云" not in answer.get_data(as_text=True)
    session.rollback()
    event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "card_lookup")).one()
    assert event.subject == "张*云"
    assert '"found": 1' in event.detail
    assert last4 not in event.detail + event.subject


def test_part_of_the_name_finds_and_a_wrong_tail_finds_nobody(api: Any, store: Store) -> None:
    cashier = api(Role.CASHIER)
    found = cashier.get(f"/api/v1/cards?q=三云{make_id(1)[-4:]}").get_json()["items"]
    assert [i["card_no"] for i in found] == [store.card.card_no]
    other_tail = make_id(2)[-4:]
    assert cashier.get(f"/api/v1/cards?q=张三云 {other_tail}").get_json() == {"items": []}


@pytest.mark.parametrize("q", ["", "张三云", "1234", "张 12", "张三云 12345a"])
def test_fewer_than_both_parts_is_a_400_in_chinese(api: Any, store: Store, q: str) -> None:
    answer = api(Role.CASHIER).get("/api/v1/cards", query_string={"q": q})
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["code"] == "validation_error"
    assert "后四位" in error["message"]


def test_signed_in_staff_only(client: Any, store: Store) -> None:
    answer = client.get("/api/v1/cards?q=张三云 1234")
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "unauthorized"


def test_parse_query_reads_both_orders() -> None:
    assert parse_query("张三 1234") == parse_query("1234 张三") == parse_query("张三1234")
    assert parse_query(" 李四  123x ").last4 == "123X"
    with pytest.raises(ValidationError):
        parse_query("李四")


def test_at_most_five_are_answered(api: Any, session: Any, settings: Any, clock: Any) -> None:
    from cards.services import cards as card_services
    from cards.services import roster
    from tests.conftest import TEST_KEYS
    from tests.pos.conftest import ACTOR

    rows = "序号,姓名,身份证号,类别,电话\r\n" + "".join(
        f"{i},王芳{i},{make_id(100 + i)},低保,1390{i:03d}0088\r\n" for i in range(1, 8)
    )
    plan = roster.plan_import(
        session,
        rows.encode(),
        "t.csv",
        keys=TEST_KEYS,
        categories=settings.allowance.categories,
        at=clock(),
        tz=settings.tz,
    )
    roster.apply_import(
        session,
        plan,
        skip_invalid=False,
        exit_missing=False,
        at=clock(),
        actor=ACTOR,
        tz=settings.tz,
    )
    card_services.issue_all(session, at=clock(), actor=ACTOR)
    session.commit()
    items = api(Role.CASHIER).get("/api/v1/cards?q=王芳 0088").get_json()["items"]
    assert len(items) == 5
    assert {i["holder"][0] for i in items} == {"王"}
    assert all("芳" not in i["holder"] for i in items)
