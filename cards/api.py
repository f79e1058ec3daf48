"""The JSON API of the cards package (blueprint `api`, under /api/v1): what a card is."""

from __future__ import annotations

from flask import request
from sqlalchemy.orm import Session

from cards import hooks
from cards.models import Card
from cards.schemas import CardAnswer, CardFound, CardLookupAnswer, CardLookupQuery
from cards.services import cards, ledger, lookup
from cards.services.clothing import clothing_status
from cards.services.text import mask_name
from core.auth import Role
from core.web import ApiBlueprint, current_actor, data_keys, db_session, now, settings

api = ApiBlueprint("cards_api", __name__, tag="cards")


def card_answer(session: Session, card: Card) -> CardAnswer:
    """`card` as the API and the terminal describe it now: its balance, and this quarter's
    clothing as the running app's allowance (`cards.hooks`) answers it."""
    clothing = clothing_status(
        session,
        card.account.beneficiary_id,
        now(),
        tz=settings().tz,
        allowance=hooks.current().clothing_allowance,
    )
    return CardAnswer.of(card, balance=ledger.balance(session, card.account_id), clothing=clothing)


@api.operation(
    "/cards/<card_no>",
    summary="查询一张卡：状态、持卡人（脱敏）、类别、余额、本季度衣物额度",
    roles=(),
    response=CardAnswer,
    errors=("unknown_card", "unauthorized"),
)
def card_info(card_no: str) -> CardAnswer:
    session = db_session()
    return card_answer(session, cards.find_card(session, card_no))


@api.operation(
    "/cards",
    summary="收银员查找忘带卡的持卡人：姓名 + 身份证号或手机号后四位（如“张三 1234”），"
    "最多 5 人，脱敏，每次查找记入审计日志",
    roles=(Role.CASHIER,),
    query=CardLookupQuery,
    response=CardLookupAnswer,
    errors=("validation_error", "unauthorized", "forbidden"),
)
def card_lookup(query: CardLookupQuery) -> CardLookupAnswer:
    session = db_session()
    found = lookup.lookup_cards(
        session,
        query.q,
        keys=data_keys(),
        at=now(),
        actor=current_actor(),
        address=request.remote_addr or "",
    )
    answer = CardLookupAnswer(
        items=[
            CardFound(
                card_no=card.card_no,
                holder=mask_name(card.account.beneficiary.name),
                balance=str(ledger.balance(session, card.account_id)),
                status=card.status,
                category=card.account.beneficiary.category,
            )
            for card in found
        ]
    )
    session.commit()  # the lookup's audit event
    return answer
