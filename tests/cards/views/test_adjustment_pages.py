"""The person page's adjustment form and the bureau's approval queue (`/cards/adjustments`):
the same service as the API, the second person, the maker refused, CSRF on the forms."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from cards.models import Account, Adjustment
from cards.services import statement
from core.auth import Role
from tests.cards.views.test_personal_data import _csrf, _sign_in


def _signed_in(app: Flask, make_user, role=Role.BUREAU) -> FlaskClient:
    client = app.test_client()
    user = make_user(role)
    answer = client.post("/", data={"username": user.username, "password": "password123"})
    assert answer.status_code == 302
    return client


def _person_id(card) -> int:
    return card.account.beneficiary_id


def test_person_page_adjustment_within_and_above_the_limit(
    people_with_cards, session, app, make_user
):
    card = people_with_cards[0]
    maker = _signed_in(app, make_user)
    url = f"/cards/people/{_person_id(card)}/adjust"
    page = maker.post(url, data={"amount": "30.00", "reason": "补发"}, follow_redirects=True)
    assert "已调整 ￥30.00" in page.get_data(as_text=True)
    page = maker.post(
        url, data={"amount": "300.00", "reason": "冬季临时救助"}, follow_redirects=True
    )
    text = page.get_data(as_text=True)
    assert "等待另一位民政局工作人员审批" in text and "待审批" in text
    session.rollback()
    assert session.get(Account, card.account_id).balance_fen == 3000
    # the reason is what the statement shows
    assert statement.statement(session, card.account_id)[-1].line.label == "人工调整：补发"
    # the maker sees it in the queue but cannot approve it
    queue = maker.get("/cards/adjustments").get_data(as_text=True)
    assert "冬季临时救助" in queue and "本人发起" in queue
    pending = session.query(Adjustment).filter_by(status="pending").one()
    page = maker.post(f"/cards/adjustments/{pending.id}/approve", follow_redirects=True)
    assert "发起人不能自己审批" in page.get_data(as_text=True)
    session.rollback()
    assert session.get(Account, card.account_id).balance_fen == 3000

    checker = _signed_in(app, make_user)
    home = checker.get("/office").get_data(as_text=True)
    assert "待审批的余额调整" in home and "1 笔" in home
    queue = checker.get("/cards/adjustments").get_data(as_text=True)
    assert "审批入账" in queue and "冬季临时救助" in queue
    page = checker.post(f"/cards/adjustments/{pending.id}/approve", follow_redirects=True)
    assert f"调整 #{pending.id} 已审批入账" in page.get_data(as_text=True)
    session.rollback()
    assert session.get(Account, card.account_id).balance_fen == 33000
    assert "没有待审批的调整" in checker.get("/cards/adjustments").get_data(as_text=True)


def test_queue_reject_and_refusals(people_with_cards, session, app, make_user):
    card = people_with_cards[0]
    maker = _signed_in(app, make_user)
    url = f"/cards/people/{_person_id(card)}/adjust"
    page = maker.post(url, data={"amount": "5.00", "reason": "x"}, follow_redirects=True)
    assert "太短" in page.get_data(as_text=True)
    page = maker.post(url, data={"amount": "-5.00", "reason": "扣回"}, follow_redirects=True)
    assert "余额不能为负" in page.get_data(as_text=True)
    maker.post(url, data={"amount": "200.00", "reason": "重复申请"})
    session.rollback()
    pending = session.query(Adjustment).filter_by(status="pending").one()
    checker = _signed_in(app, make_user)
    page = checker.post(
        f"/cards/adjustments/{pending.id}/reject", data={"reason": ""}, follow_redirects=True
    )
    assert "驳回原因必须填写" in page.get_data(as_text=True)
    page = checker.post(
        f"/cards/adjustments/{pending.id}/reject",
        data={"reason": "重复申请已处理"},
        follow_redirects=True,
    )
    text = page.get_data(as_text=True)
    assert "已驳回" in text and "重复申请已处理" in text
    session.rollback()
    assert session.get(Account, card.account_id).balance_fen == 0


def test_admin_cannot_adjust_and_others_cannot_see_the_queue(
    people_with_cards, session, app, make_user
):
    card = people_with_cards[0]
    admin = _signed_in(app, make_user, Role.ADMIN)
    page = admin.post(
        f"/cards/people/{_person_id(card)}/adjust",
        data={"amount": "5.00", "reason": "补发"},
        follow_redirects=True,
    )
    assert "管理员账号不经手资金" in page.get_data(as_text=True)
    session.rollback()
    assert session.get(Account, card.account_id).balance_fen == 0
    cashier = _signed_in(app, make_user, Role.CASHIER)
    assert cashier.get("/cards/adjustments").status_code == 403


def test_queue_forms_carry_csrf(people_with_cards, session, csrf_app, make_user):
    card = people_with_cards[0]
    maker, checker = csrf_app.test_client(), csrf_app.test_client()
    _sign_in(maker, make_user, Role.BUREAU)
    _sign_in(checker, make_user, Role.BUREAU)
    url = f"/cards/people/{_person_id(card)}/adjust"
    data = {"amount": "500.00", "reason": "补发"}
    assert maker.post(url, data=data).status_code == 400  # no CSRF token: refused
    token = _csrf(maker.get(f"/cards/people/{_person_id(card)}").get_data(as_text=True))
    assert maker.post(url, data={**data, "csrf_token": token}).status_code == 302
    session.rollback()
    pending = session.query(Adjustment).filter_by(status="pending").one()
    approve = f"/cards/adjustments/{pending.id}/approve"
    assert checker.post(approve).status_code == 400
    token = _csrf(checker.get("/cards/adjustments").get_data(as_text=True))
    assert checker.post(approve, data={"csrf_token": token}).status_code == 302
    session.rollback()
    assert session.get(Account, card.account_id).balance_fen == 50000
