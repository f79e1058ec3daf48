"""The bureau's back-office pages: people, their cards and statements, the roster import, top-up
runs, the card sheet."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from cards.models import Beneficiary
from cards.services import beneficiaries, ledger
from cards.services.text import mask_id_number
from core.auth import Role
from core.money import Money
from tests.cards.conftest import ACTOR, make_id, person_row, roster_csv
from tests.conftest import SHANGHAI, TEST_KEYS


def test_pages_need_the_bureau_role(people_with_cards, client, login):
    login(Role.CASHIER)
    assert client.get("/cards/people").status_code == 403


def test_people_search_and_person_page(people_with_cards, session, client, login, clock):
    beneficiaries.add_proxy(
        session,
        people_with_cards[0].account.beneficiary_id,
        keys=TEST_KEYS,
        name="张小",
        relation="女儿",
        phone="139",
        at=clock(),
        actor=ACTOR,
    )
    ledger.adjust(
        session,
        people_with_cards[0].account_id,
        Money.parse("50.00"),
        reason="补发",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    ledger.debit_for_sale(
        session,
        people_with_cards[0].account_id,
        Money.parse("8.00"),
        sale_no="S1",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    session.commit()
    login(Role.BUREAU)
    page = client.get("/cards/people?q=张三").get_data(as_text=True)
    assert "张三云" in page
    masked = mask_id_number(make_id(1))
    assert "张三云" in client.get(f"/cards/people?q={masked}").get_data(as_text=True)
    by_card = client.get(f"/cards/people?q={people_with_cards[0].card_no}").get_data(as_text=True)
    assert "张三云" in by_card and "李四" not in by_card
    person_id = people_with_cards[0].account.beneficiary_id
    page = client.get(f"/cards/people/{person_id}").get_data(as_text=True)
    assert "张小" in page and "女儿" in page and "超市购物" in page and "￥42.00" in page
    statement = client.get(f"/cards/people/{person_id}/statement").get_data(as_text=True)
    assert "￥50.00" in statement and "￥42.00" in statement


def test_person_actions(people_with_cards, session, client, login):
    login(Role.BUREAU)
    card = people_with_cards[1]
    person_id = card.account.beneficiary_id
    answer = client.post(f"/cards/cards/{card.card_no}/freeze", data={"reason": "遗失"})
    assert answer.status_code == 302
    answer = client.post(f"/cards/cards/{card.card_no}/replace", follow_redirects=True)
    assert "已补卡" in answer.get_data(as_text=True)
    answer = client.post(
        f"/cards/people/{person_id}/status",
        data={"status": "suspended", "reason": ""},
        follow_redirects=True,
    )
    assert "原因" in answer.get_data(as_text=True)
    client.post(f"/cards/people/{person_id}/status", data={"status": "suspended", "reason": "复核"})
    client.post(f"/cards/people/{person_id}/adjust", data={"amount": "abc", "reason": "x"})
    session.rollback()
    person = session.get(Beneficiary, person_id)
    assert person.status == "suspended" and person.status_changes[-1].actor_name.startswith(
        "bureau"
    )
    assert person.account.balance_fen == 0


def test_import_upload_preview_and_confirm(client, login, session):
    login(Role.BUREAU)
    data = roster_csv(
        [person_row(1), person_row(2), person_row(3, category="五保")], encoding="gbk"
    )
    page = client.post(
        "/cards/import",
        data={"file": (io.BytesIO(data), "名册.csv")},
        content_type="multipart/form-data",
    )
    text = page.get_data(as_text=True)
    assert "第 4 行" in text and "五保" in text and "新增 2 人" in text
    assert session.scalar(select(func.count()).select_from(Beneficiary)) == 0
    session.rollback()
    digest = text.split('name="upload" value="')[1].split('"')[0]
    refused = client.post(
        "/cards/import", data={"confirm": "1", "upload": digest, "filename": "名册.csv"}
    )
    assert "无效" in refused.get_data(as_text=True)
    ok = client.post(
        "/cards/import",
        data={"confirm": "1", "upload": digest, "filename": "名册.csv", "skip_invalid": "1"},
        follow_redirects=True,
    )
    assert "新增 2 人" in ok.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Beneficiary)) == 2


def test_topup_pages_two_person(people_with_cards, app, client, make_user, session):
    from core.web import app_state

    state = app_state(app)
    state.settings = state.settings.with_overrides(allowance={"approval": "two_person"})
    first = make_user(Role.BUREAU)
    second = make_user(Role.BUREAU)
    client.post("/", data={"username": first.username, "password": "password123"})
    preview = client.get("/cards/topups?month=2026-11").get_data(as_text=True)
    assert "5 人" in preview and "￥250.00" in preview
    client.post("/cards/topups", data={"month": "2026-11"})
    page = client.get("/cards/topups").get_data(as_text=True)
    assert "待审批" in page
    answer = client.post("/cards/topups/1/approve", follow_redirects=True)
    assert "另一位" in answer.get_data(as_text=True)
    client.post("/logout")
    client.post("/", data={"username": second.username, "password": "password123"})
    answer = client.post("/cards/topups/1/approve", follow_redirects=True)
    assert "已审批入账" in answer.get_data(as_text=True)
    assert ledger.balance(session, people_with_cards[0].account_id) == Money.parse("50.00")


def test_card_sheet(people_with_cards, client, login):
    login(Role.BUREAU)
    card = people_with_cards[0]
    page = client.get(f"/cards/sheet?card={card.card_no}").get_data(as_text=True)
    assert "张*云" in page and "张三云" not in page
    assert page.count("<svg") == 2 and "/cards/static/sheet.css" in page
    with client.get("/cards/static/sheet.css") as css:
        assert "85.6mm" in css.get_data(as_text=True)
    assert 'style="' not in page  # the barcode's styles are presentation attributes (CSP)
    assert " ".join([card.card_no[i : i + 4] for i in range(0, 16, 4)]) in page
    all_cards = client.get("/cards/sheet?all=1").get_data(as_text=True)
    assert all_cards.count('class="cr80"') == 5


def test_topup_page_approves_early_and_posts_when_the_month_begins(
    people_with_cards, app, client, make_user, session, clock
):
    from core.web import app_state
    from tests.conftest import shanghai

    state = app_state(app)
    state.settings = state.settings.with_overrides(allowance={"approval": "two_person"})
    first, second = make_user(Role.BUREAU), make_user(Role.BUREAU)
    client.post("/", data={"username": first.username, "password": "password123"})
    client.post("/cards/topups", data={"month": "2026-12"})  # on 29 November: prepared early
    client.post("/logout")
    client.post("/", data={"username": second.username, "password": "password123"})
    answer = client.post("/cards/topups/1/approve", follow_redirects=True)
    assert "月开始后" in answer.get_data(as_text=True)
    assert "待该月开始入账" in client.get("/cards/topups").get_data(as_text=True)
    early = client.post("/cards/topups/1/post", follow_redirects=True)
    assert "还没有开始" in early.get_data(as_text=True)
    assert ledger.balance(session, people_with_cards[0].account_id) == Money.parse("0.00")
    session.rollback()
    clock.set(shanghai(2026, 12, 1, 8))
    client.post("/", data={"username": second.username, "password": "password123"})
    posted = client.post("/cards/topups/1/post", follow_redirects=True)
    assert "已审批入账：5 人" in posted.get_data(as_text=True)
    assert ledger.balance(session, people_with_cards[0].account_id) == Money.parse("50.00")
