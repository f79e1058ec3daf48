"""`POST /api/v1/adjustments` and its approval and rejection: roles, the second person, errors
in the contract's shape, replays by `client_ref`."""

from __future__ import annotations

from sqlalchemy import func, select

from cards.models import Adjustment
from cards.services import ledger
from core.auth import Role
from core.money import Money


def _body(card, amount, reason="补发十一月补贴", **kw):
    return {"card_no": card.card_no, "amount": amount, "reason": reason, **kw}


def _error(answer):
    return answer.get_json()["error"]


def test_small_adjustment_posts_at_once(people_with_cards, api, session):
    card = people_with_cards[0]
    answer = api(Role.BUREAU).post("/api/v1/adjustments", json=_body(card, "20.00"))
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert body["status"] == "posted" and body["amount"] == "20.00"
    assert body["card_balance"] == "20.00" and isinstance(body["id"], int)
    session.rollback()
    assert ledger.balance(session, card.account_id) == Money.parse("20.00")


def test_large_adjustment_needs_another_bureau_user(people_with_cards, api, session):
    card = people_with_cards[0]
    maker = api(Role.BUREAU)
    answer = maker.post("/api/v1/adjustments", json=_body(card, "99999999.99"))
    assert answer.status_code == 400 and _error(answer)["code"] == "validation_error"
    assert "不能超过" in _error(answer)["message"]
    answer = maker.post("/api/v1/adjustments", json=_body(card, "20000.00"))
    assert answer.status_code == 400 and "单笔上限" in _error(answer)["message"]
    answer = maker.post("/api/v1/adjustments", json=_body(card, "500.00"))
    assert answer.status_code == 201
    made = answer.get_json()
    assert made["status"] == "pending" and made["card_balance"] == "0.00"
    own = maker.post(f"/api/v1/adjustments/{made['id']}/approve")
    assert own.status_code == 403 and _error(own)["code"] == "forbidden"
    admin = api(Role.ADMIN).post(f"/api/v1/adjustments/{made['id']}/approve")
    assert admin.status_code == 403 and _error(admin)["code"] == "forbidden"
    checker = api(Role.BUREAU)
    approved = checker.post(f"/api/v1/adjustments/{made['id']}/approve")
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "posted"
    assert approved.get_json()["card_balance"] == "500.00"
    again = checker.post(f"/api/v1/adjustments/{made['id']}/approve")
    assert again.status_code == 409 and _error(again)["code"] == "conflict"
    session.rollback()
    assert ledger.balance(session, card.account_id) == Money.parse("500.00")


def test_reject_with_reason(people_with_cards, api, session):
    card = people_with_cards[0]
    made = api(Role.BUREAU).post("/api/v1/adjustments", json=_body(card, "-500.00")).get_json()
    # a debit larger than the balance is refused at once
    assert made["error"]["code"] == "insufficient_balance"
    made = api(Role.BUREAU).post("/api/v1/adjustments", json=_body(card, "150.00")).get_json()
    checker = api(Role.BUREAU)
    empty = checker.post(f"/api/v1/adjustments/{made['id']}/reject", json={"reason": ""})
    assert empty.status_code == 400 and "驳回原因" in _error(empty)["message"]
    answer = checker.post(f"/api/v1/adjustments/{made['id']}/reject", json={"reason": "无书面依据"})
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "rejected" and answer.get_json()["card_balance"] == "0.00"
    late = checker.post(f"/api/v1/adjustments/{made['id']}/approve")
    assert late.status_code == 409
    missing = checker.post("/api/v1/adjustments/9999/approve")
    assert missing.status_code == 404 and _error(missing)["code"] == "not_found"


def test_roles_and_bad_input(people_with_cards, api, client, session):
    card = people_with_cards[0]
    assert client.post("/api/v1/adjustments", json=_body(card, "5.00")).status_code == 401
    for role in (Role.CASHIER, Role.SUPERVISOR, Role.ADMIN):
        answer = api(role).post("/api/v1/adjustments", json=_body(card, "5.00"))
        assert answer.status_code == 403 and _error(answer)["code"] == "forbidden", role
    bureau = api(Role.BUREAU)
    for body, code in [
        (_body(card, "5.00", reason="x"), "validation_error"),
        (_body(card, "5.00", reason=""), "validation_error"),
        (_body(card, "abc"), "validation_error"),
        (_body(card, "0.00"), "validation_error"),
        ({"card_no": card.card_no, "amount": "5.00"}, "validation_error"),
        ({**_body(card, "5.00"), "card_no": "0000000000000"}, "unknown_card"),
    ]:
        answer = bureau.post("/api/v1/adjustments", json=body)
        assert 400 <= answer.status_code < 500 and _error(answer)["code"] == code, body
    session.rollback()
    assert session.scalar(select(func.count(Adjustment.id))) == 0


def test_client_ref_replay(people_with_cards, api, session):
    card = people_with_cards[0]
    bureau = api(Role.BUREAU)
    first = bureau.post("/api/v1/adjustments", json=_body(card, "5.00", client_ref="adj-1"))
    second = bureau.post("/api/v1/adjustments", json=_body(card, "5.00", client_ref="adj-1"))
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json()["id"] == second.get_json()["id"]
    other = bureau.post("/api/v1/adjustments", json=_body(card, "6.00", client_ref="adj-1"))
    assert other.status_code == 409 and _error(other)["code"] == "conflict"
    session.rollback()
    assert ledger.balance(session, card.account_id) == Money.parse("5.00")
