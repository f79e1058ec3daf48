"""The JSON API of the cards package (blueprint `api`, under /api/v1): what a card is, and the
bureau's monthly fund statement."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cards import hooks
from cards.models import Card
from cards.schemas import CardAnswer, FundStatementAnswer
from cards.services import cards, fund_statement, ledger
from cards.services.clothing import clothing_status
from core.auth import Role
from core.web import ApiBlueprint, db_session, now, settings

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
    "/reports/fund/<month>",
    summary="慈善购物卡资金月报（YYYY-MM）：民政局与管理员；已结账的月份读出存档的数字",
    roles=(Role.BUREAU,),
    response=FundStatementAnswer,
    errors=("validation_error", "unauthorized", "forbidden"),
)
def fund_report(month: str) -> FundStatementAnswer:
    config = settings()
    period = fund_statement.report_month(month, at=now(), settings=config)
    statement = fund_statement.fund_statement(db_session(), config, period, hooks.current())
    return FundStatementAnswer.model_validate(statement.to_json())
