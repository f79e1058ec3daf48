"""The JSON API of the cards package (blueprint `api`, under /api/v1): what a card is, and the
bureau's manual adjustments with their second-person approval, and the monthly fund statement."""

from __future__ import annotations

from flask import Response, jsonify, request
from sqlalchemy.orm import Session

from cards import hooks
from cards.models import Adjustment, Card
from cards.schemas import (
    AdjustmentAnswer,
    AdjustmentDecisionIn,
    AdjustmentIn,
    CardAnswer,
    CardFound,
    CardLookupAnswer,
    CardLookupQuery,
    FundStatementAnswer,
)
from cards.services import adjustments, cards, fund_statement, ledger, lookup
from cards.services.clothing import clothing_status
from cards.services.text import mask_name
from core.auth import Role
from core.money import Money
from core.web import (
    ApiBlueprint,
    app_state,
    current_actor,
    data_keys,
    db_session,
    now,
    settings,
)

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
        engine=app_state().db.engine,
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
    session.rollback()  # a GET: it read; the lookup's event is in its own transaction
    return answer


# --- manual adjustments (dual control: cards.services.adjustments) ---------------------------


def _adjustment_answer(session: Session, adjustment: Adjustment) -> AdjustmentAnswer:
    return AdjustmentAnswer(
        id=adjustment.id,
        status=adjustment.status,
        amount=str(Money(adjustment.amount_fen)),
        card_balance=str(ledger.balance(session, adjustment.account_id)),
        reason=adjustment.reason,
    )


@api.operation(
    "/adjustments",
    method="POST",
    summary="人工调整一张卡的余额（带原因）：限额内直接入账，超限或双人审批时等待另一位民政局工作人员审批",
    roles=(Role.BUREAU,),
    body=AdjustmentIn,
    response=AdjustmentAnswer,
    status=201,
    also=(200,),
    errors=(
        "validation_error",
        "unknown_card",
        "insufficient_balance",
        "conflict",
        "unauthorized",
        "forbidden",
    ),
)
def make_adjustment(body: AdjustmentIn) -> tuple[Response, int]:
    session = db_session()
    account_id = cards.find_card(session, body.card_no).account_id
    ref = (body.client_ref or "").strip() or None
    seen = ref is not None and adjustments.by_client_ref(session, ref) is not None
    adjustment = adjustments.make_adjustment(
        session,
        settings().allowance,
        account_id,
        body.amount,
        reason=body.reason,
        at=now(),
        tz=settings().tz,
        actor=current_actor(),
        keys=data_keys(),
        client_ref=ref,
        address=request.remote_addr or "",
    )
    session.commit()
    answer = _adjustment_answer(session, adjustment)
    return jsonify(answer.model_dump(mode="json")), 200 if seen else 201


@api.operation(
    "/adjustments/<int:adjustment_id>/approve",
    method="POST",
    summary="另一位民政局工作人员审批一笔待审批的调整（入账）；发起人不能审批",
    roles=(Role.BUREAU,),
    response=AdjustmentAnswer,
    errors=("not_found", "conflict", "insufficient_balance", "unauthorized", "forbidden"),
)
def approve_adjustment(adjustment_id: int) -> AdjustmentAnswer:
    session = db_session()
    adjustment = adjustments.approve_adjustment(
        session,
        adjustment_id,
        at=now(),
        tz=settings().tz,
        actor=current_actor(),
        keys=data_keys(),
        address=request.remote_addr or "",
    )
    session.commit()
    return _adjustment_answer(session, adjustment)


@api.operation(
    "/adjustments/<int:adjustment_id>/reject",
    method="POST",
    summary="另一位民政局工作人员驳回一笔待审批的调整（须写明原因，不入账）；发起人不能驳回",
    roles=(Role.BUREAU,),
    body=AdjustmentDecisionIn,
    response=AdjustmentAnswer,
    errors=("validation_error", "not_found", "conflict", "unauthorized", "forbidden"),
)
def reject_adjustment(adjustment_id: int, body: AdjustmentDecisionIn) -> AdjustmentAnswer:
    session = db_session()
    adjustment = adjustments.reject_adjustment(
        session,
        adjustment_id,
        reason=body.reason,
        at=now(),
        actor=current_actor(),
        address=request.remote_addr or "",
    )
    session.commit()
    return _adjustment_answer(session, adjustment)


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
