"""The counter's JSON API: staff sign-in (`session_api`) and quotes, sales, refunds, receipts,
shifts and held sales (`api`). The cashier terminal page does everything through these calls, so
a kiosk or another client can too.

Each operation parses through `pos.schemas`, calls one service, commits once, and then (outside
the transaction) delivers what it queued for the printer."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from cards import hooks as cards_hooks
from cards.api import card_answer
from cards.models import Card
from cards.schemas import CardAnswer
from cards.services.cards import card_for_payment
from core.auth import Role
from core.money import Money
from core.signin import client_address, sign_in_api, sign_out_token
from core.web import (
    ApiBlueprint,
    api_user,
    app_state,
    bearer_token,
    current_actor,
    data_keys,
    db_session,
    now,
    settings,
)
from pos.models import Sale, Shift
from pos.printing.services import jobs
from pos.schemas import (
    HeldListOut,
    HeldOut,
    HoldIn,
    LoginAnswer,
    LoginRequest,
    MeAnswer,
    QuoteIn,
    QuoteOut,
    ReceiptOut,
    RefundIn,
    RefundOut,
    SaleIn,
    SaleOut,
    ShiftCloseIn,
    ShiftOpenIn,
    ShiftOut,
    ShiftUncountedIn,
)
from pos.services import (
    checkout,
    held,
    holder,
    receipts,
    refunds,
    sales,
    shifts,
    totals,
)

api = ApiBlueprint("sales_api", __name__, tag="checkout")
session_api = ApiBlueprint("pos_api", __name__, tag="session")

# What pricing a cart can refuse with: the quote, the sale and the held sale all say so.
CART_ERRORS = (
    "validation_error",
    "unknown_product",
    "unknown_card",
    "card_frozen",
    "beneficiary_inactive",
)
CARD_ERRORS = ("unknown_card", "card_frozen", "beneficiary_inactive")


def _terminal() -> str:
    return settings().store.terminal


def _deliver(job_id: int) -> ReceiptOut:
    """Print a committed job now (the answer says how it went)."""
    state = app_state()
    status = jobs.deliver(state.db, job_id, state.settings, at=now())
    return ReceiptOut(status=status, job_id=job_id)


def _card(card: Card) -> CardAnswer:
    """The card as every caller of the API sees it (the cards package's one description)."""
    return card_answer(db_session(), card)


def _shift_out(shift: Shift, receipt: ReceiptOut | None = None) -> ShiftOut:
    session = db_session()
    tz = settings().tz
    return ShiftOut.of(
        shift,
        totals=totals.report_figures(session, shift),
        held=held.count_held(session, shift),
        business_date=shifts.business_date(shift, tz),
        stale=shifts.is_stale(shift, at=now(), tz=tz),
        receipt=receipt,
        cashier=receipts.staff_name(session, shift.cashier_id, shift.cashier_name),
    )


def _sale_out(sale: Sale, receipt: ReceiptOut | None = None) -> SaleOut:
    """A sale as the API answers it, its cashier by name (not the login)."""
    name = receipts.staff_name(db_session(), sale.actor_id, sale.actor_name)
    return SaleOut.of(sale, receipt, cashier=name)


# --- sign-in ----------------------------------------------------------------------------------


@session_api.operation(
    "/login",
    method="POST",
    summary="登录，取得 Bearer 令牌",
    roles=None,
    body=LoginRequest,
    response=LoginAnswer,
    errors=("validation_error", "unauthorized"),
)
def api_login(body: LoginRequest) -> LoginAnswer:
    """The same answer and the same work for an unknown name as for a wrong password; every
    attempt is logged; failures are throttled per address (pos.security)."""
    signed = sign_in_api(body.username, body.password)
    return LoginAnswer(
        token=signed.token,
        expires_at=signed.expires_at.isoformat(),
        role=signed.user.role,
        username=signed.user.username,
    )


@session_api.operation(
    "/logout", method="POST", summary="注销当前令牌（及其会话）", errors=("unauthorized",)
)
def api_logout() -> dict[str, bool]:
    token = bearer_token()
    if token:
        sign_out_token(token, api_user())
    return {"ok": True}


@session_api.operation("/me", summary="当前登录的员工", response=MeAnswer, errors=("unauthorized",))
def api_me() -> MeAnswer:
    user = api_user()
    return MeAnswer(username=user.username, name=user.name, role=user.role)


# --- the cart and the sale --------------------------------------------------------------------


@api.operation(
    "/quote",
    method="POST",
    summary="按规则计价（不记账）：各行慈善价/标价、合计、卡余额与衣物额度",
    roles=(Role.CASHIER,),
    body=QuoteIn,
    response=QuoteOut,
    errors=CART_ERRORS,
)
def quote(body: QuoteIn) -> QuoteOut:
    q = checkout.quote(
        db_session(),
        [line.request() for line in body.lines],
        card_no=body.card_no,
        settings=settings(),
    )
    if q.card is None:
        return QuoteOut.of(q, None, None)
    found = _card(q.card)
    return QuoteOut.of(q, found, checkout.card_tender(q.total, Money.parse(found.balance)))


@api.operation(
    "/terminal/card/<card_no>",
    summary="收银台刷卡：持卡人（脱敏）、余额、本季度衣物额度、代领人",
    roles=(Role.CASHIER,),
    response=CardAnswer,
    errors=CARD_ERRORS,
)
def terminal_card(card_no: str) -> CardAnswer:
    return _card(card_for_payment(db_session(), card_no))


@api.operation(
    "/terminal/qr/<token>",
    summary="收银台扫手机上的余额页二维码：按二维码令牌找到卡",
    roles=(Role.CASHIER,),
    response=CardAnswer,
    errors=CARD_ERRORS,
)
def terminal_qr(token: str) -> CardAnswer:
    return _card(holder.card_to_pay_by_qr(db_session(), token))


@api.operation(
    "/sales",
    method="POST",
    summary="结账：一笔销售（整体成功或整体不做）；client_ref 重放返回同一笔销售",
    roles=(Role.CASHIER,),
    body=SaleIn,
    response=SaleOut,
    status=201,
    also=(200,),  # the same client_ref again: the sale it made
    errors=(
        *CART_ERRORS,
        "insufficient_balance",
        "clothing_quota_exceeded",
        "payment_mismatch",
        "conflict",
    ),
)
def create_sale(body: SaleIn) -> ResponseReturnValue:
    session = db_session()
    paid_card, paid_cash = body.tenders()
    paid_qr, qr_reference = body.qr_tender()
    request = checkout.SaleRequest(
        client_ref=body.client_ref,
        lines=[line.request() for line in body.lines],
        card_no=body.card_no,
        paid_card=paid_card,
        paid_cash=paid_cash,
        proxy_id=body.proxy_id,
        paid_qr=paid_qr,
        qr_reference=qr_reference,
    )
    result = checkout.checkout(
        session,
        request,
        at=now(),
        actor=current_actor(),
        terminal=_terminal(),
        settings=settings(),
        allowance=cards_hooks.current().clothing_allowance,
        keys=data_keys(),
    )
    if result.replayed or result.receipt is None:
        return _sale_out(result.sale).model_dump(mode="json"), 200
    session.commit()
    return _sale_out(result.sale, _deliver(result.receipt.id)).model_dump(mode="json"), 201


@api.operation(
    "/sales/<sale_no>",
    summary="查询一笔销售",
    roles=(Role.CASHIER,),
    response=SaleOut,
    errors=("not_found",),
)
def get_sale(sale_no: str) -> SaleOut:
    return _sale_out(sales.get_sale(db_session(), sale_no))


@api.operation(
    "/sales/<sale_no>/refund",
    method="POST",
    summary="退货或作废（店长）：钱退回原支付方式，货回库存，衣物额度退回",
    roles=(Role.SUPERVISOR,),
    body=RefundIn,
    response=RefundOut,
    status=201,
    errors=("validation_error", "not_found", "conflict", "forbidden"),
)
def refund_sale(sale_no: str, body: RefundIn) -> RefundOut:
    session = db_session()
    request = refunds.RefundRequest(
        reason=body.reason,
        lines=None if body.lines is None else [line.request() for line in body.lines],
        void=body.void,
        receiptless=body.receiptless,
    )
    result = refunds.refund(
        session,
        sale_no,
        request,
        at=now(),
        actor=current_actor(),
        settings=settings(),
        keys=data_keys(),
        address=client_address(),
    )
    session.commit()
    return RefundOut.of(result, _deliver(result.slip.id))


@api.operation(
    "/sales/<sale_no>/receipt",
    method="POST",
    summary="重打小票（标注 重打（副本））",
    roles=(Role.CASHIER,),
    response=ReceiptOut,
    errors=("not_found",),
)
def reprint_receipt(sale_no: str) -> ReceiptOut:
    session = db_session()
    job = receipts.reprint_sale_receipt(session, sale_no, at=now(), actor=current_actor())
    session.commit()
    return _deliver(job.id)


# --- shifts -----------------------------------------------------------------------------------


@api.operation(
    "/shifts",
    method="POST",
    summary="开班：登记备用金",
    roles=(Role.CASHIER,),
    body=ShiftOpenIn,
    response=ShiftOut,
    status=201,
    errors=("validation_error", "conflict"),
)
def open_my_shift(body: ShiftOpenIn) -> ShiftOut:
    session = db_session()
    shift = shifts.open_shift(
        session,
        actor=current_actor(),
        terminal=body.terminal or _terminal(),
        opening_float=body.money,
        at=now(),
    )
    session.commit()
    return _shift_out(shift)


@api.operation(
    "/shifts/current",
    summary="当前班次（X 报表：至今的销售、退货与应有现金）",
    roles=(Role.CASHIER,),
    response=ShiftOut,
    errors=("not_found",),
)
def my_shift() -> ShiftOut:
    return _shift_out(shifts.require_open_shift(db_session(), api_user().id))


@api.operation(
    "/shifts/current/close",
    method="POST",
    summary="交班：按面额盲点现金，记录差异与原因，生成编号的 Z 报表并打印",
    roles=(Role.CASHIER,),
    body=ShiftCloseIn,
    response=ShiftOut,
    errors=("validation_error", "not_found", "conflict"),
)
def close_my_shift(body: ShiftCloseIn) -> ShiftOut:
    session = db_session()
    closed = shifts.close_shift(
        session,
        shifts.require_open_shift(session, api_user().id),
        counts=body.counts,
        reason=body.reason,
        at=now(),
        actor=current_actor(),
        settings=settings(),
    )
    session.commit()
    return _shift_out(closed.shift, _deliver(closed.report.id))


@api.operation(
    "/shifts/<int:shift_id>",
    summary="一个班次的报表（已交班的为 Z 报表，不再变化）",
    roles=(Role.SUPERVISOR,),
    response=ShiftOut,
    errors=("not_found",),
)
def get_shift(shift_id: int) -> ShiftOut:
    return _shift_out(shifts.get_shift(db_session(), shift_id))


@api.operation(
    "/shifts/<int:shift_id>/close-uncounted",
    method="POST",
    summary="店长关闭之前营业日未交班的班次（未清点）：Z 报表标注未清点，不再接收销售",
    roles=(Role.SUPERVISOR,),
    body=ShiftUncountedIn,
    response=ShiftOut,
    errors=("validation_error", "not_found", "conflict", "forbidden"),
)
def close_shift_uncounted(shift_id: int, body: ShiftUncountedIn) -> ShiftOut:
    session = db_session()
    closed = shifts.close_uncounted(
        session,
        shifts.get_shift(session, shift_id),
        reason=body.reason,
        at=now(),
        actor=current_actor(),
        settings=settings(),
    )
    session.commit()
    return _shift_out(closed.shift, _deliver(closed.report.id))


# --- held sales -------------------------------------------------------------------------------


@api.operation(
    "/held",
    method="POST",
    summary="挂单：保存当前购物清单，先接待下一位顾客",
    roles=(Role.CASHIER,),
    body=HoldIn,
    response=HeldOut,
    status=201,
    errors=("validation_error", "conflict"),
)
def hold(body: HoldIn) -> HeldOut:
    session = db_session()
    cart = held.hold_sale(
        session,
        [line.held() for line in body.lines],
        card_no=body.card_no,
        label=body.label,
        at=now(),
        actor=current_actor(),
        terminal=_terminal(),
        tz=settings().tz,
    )
    session.commit()
    return HeldOut.of(cart)


@api.operation("/held", summary="本班次的挂单", roles=(Role.CASHIER,), response=HeldListOut)
def list_held() -> HeldListOut:
    session = db_session()
    shift = shifts.current_shift(session, api_user().id)
    carts = [] if shift is None else held.held_sales(session, shift)
    return HeldListOut(items=[HeldOut.of(cart) for cart in carts])


@api.operation(
    "/held/<int:held_id>/resume",
    method="POST",
    summary="取回挂单（挂单随之删除）",
    roles=(Role.CASHIER,),
    response=HeldOut,
    errors=("not_found",),
)
def resume_held(held_id: int) -> HeldOut:
    session = db_session()
    cart = held.take_held(session, api_user().id, held_id)
    session.commit()
    return HeldOut.of(cart)


@api.operation(
    "/held/<int:held_id>",
    method="DELETE",
    summary="删除挂单",
    roles=(Role.CASHIER,),
    errors=("not_found",),
)
def discard_held(held_id: int) -> dict[str, bool]:
    session = db_session()
    held.take_held(session, api_user().id, held_id)
    session.commit()
    return {"ok": True}
