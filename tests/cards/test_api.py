"""The cards JSON API: one card, as the API and the terminal describe it (`CardAnswer`)."""

from __future__ import annotations

from datetime import date

from cards import hooks
from cards.hooks import CardsHooks, ClothingStatus
from cards.services import beneficiaries, ledger
from core.auth import Role
from core.money import Money
from tests.cards.conftest import ACTOR, make_id
from tests.conftest import SHANGHAI, TEST_KEYS


def test_card_api_answers_masked_holder_and_balance(people_with_cards, session, api, app, clock):
    hooks.install(app, CardsHooks())  # the default answer: nothing allowed, nothing used
    card = people_with_cards[0]
    ledger.adjust(
        session,
        card.account_id,
        Money.parse("12.50"),
        reason="测试",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()
    answer = api(Role.CASHIER).get(f"/api/v1/cards/{card.card_no}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body == {
        "card_no": card.card_no,
        "status": "active",
        "holder": "张*云",
        "category": "低保",
        "balance": "12.50",
        "clothing": {"quarter": "2026-Q4", "allowed": 0, "used": 0, "next_available": None},
        "proxies": [],
    }
    assert make_id(1) not in answer.get_data(as_text=True)


def test_card_api_errors(people_with_cards, api, client):
    card = people_with_cards[0]
    wrong = card.card_no[:-1] + str((int(card.card_no[-1]) + 1) % 10)
    answer = api(Role.CASHIER).get(f"/api/v1/cards/{wrong}")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "unknown_card"
    assert "有误" in answer.get_json()["error"]["message"]
    assert client.get(f"/api/v1/cards/{card.card_no}").status_code == 401


def test_clothing_provider_is_used(people_with_cards, api, app):
    card = people_with_cards[0]

    def provider(session, beneficiary_id, at):
        return ClothingStatus("2026-Q4", 1, 1, at, None)

    hooks.install(app, CardsHooks(clothing_allowance=provider))
    body = api(Role.CASHIER).get(f"/api/v1/cards/{card.card_no}").get_json()
    assert body["clothing"] == {
        "quarter": "2026-Q4",
        "allowed": 1,
        "used": 1,
        "next_available": None,
    }


def test_card_answer_names_the_proxies_and_when_clothing_comes_again(
    people_with_cards, session, api, app, clock
):
    card = people_with_cards[0]
    proxy = beneficiaries.add_proxy(
        session,
        card.account.beneficiary_id,
        keys=TEST_KEYS,
        name="张小云",
        relation="女儿",
        phone="139",
        at=clock(),
        actor=ACTOR,
    )
    session.commit()
    taken = ClothingStatus("2026-Q4", 1, 1, clock(), date(2027, 1, 1))
    hooks.install(app, CardsHooks(clothing_allowance=lambda *_: taken))
    body = api(Role.CASHIER).get(f"/api/v1/cards/{card.card_no}").get_json()
    assert body["clothing"]["next_available"] == "2027-01-01"
    assert body["proxies"] == [{"id": proxy.id, "name": "张小云", "relation": "女儿"}]


def test_openapi_documents_the_card_answer(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/cards/{card_no}"]["get"]
    assert "200" in operation["responses"]
    assert "CardAnswer" in str(spec)
