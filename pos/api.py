"""The counter's JSON API: quotes, sales, refunds, receipts, shifts and held sales. The cashier
terminal page does everything through these calls, so a kiosk or another client can too."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy.exc import IntegrityError

from cards.services import ledger
from cards.services.cards import card_by_token, card_for_payment
from cards.services.text import mask_name
from core.auth import Role
from core.errors import NotFound, UnknownCard
from core.money import Money, MoneyError, parse_decimal
from core.web import ApiBlueprint, ApiModel, api_user, app_state, current_actor, db_session, now
from core.web import settings as app_settings
from pos import checkout, receipts
from pos.models import HeldSale, Sale, Shift
from pos.printing import jobs
from pos.shifts import (
    DENOMINATIONS,
    close_shift,
    current_shift,
    held_sales,
    hold_sale,
    open_shift,
    shift_for_work,
    shift_totals,
    take_held,
)

api = ApiBlueprint("sales_api", __name__, tag="checkout")

MAX_QTY = Decimal(9999)
# What pricing a cart can refuse with: the quote, the sale and the held sale all say so.
CART_ERRORS = (
    "validation_error",
    "unknown_product",
    "unknown_card",
    "card_frozen",
    "beneficiary_inactive",
)
MAX_AMOUNT = Money(100_000_000)  # ￥1,000,000.00: more is a typing slip, and overflows nothing


def _qty(value: str | int | None) -> Decimal | None:
    if value is None:
        return None
    try:
        qty = parse_decimal(value, places=3, what="数量")  # type: ignore[arg-type]
    except MoneyError as exc:
        raise ValueError(str(exc)) from None
    if qty <= 0 or qty > MAX_QTY:
        raise ValueError(f"数量应大于 0 且不超过 {MAX_QTY}，实际为 {value}")
    return qty


def _amount(value: str) -> Money:
    try:
        amount = Money.parse(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None
    if amount.fen <= 0:
        raise ValueError(f"金额必须大于零，实际为 {value}")
    if amount > MAX_AMOUNT:
        raise ValueError(f"金额不能超过 {MAX_AMOUNT}，实际为 {value}")
    return amount


class LineIn(ApiModel):
    barcode: str = Field(min_length=1, max_length=32)
    qty: str | int | None = Field(
        default=None, description='数量；称重商品最多三位小数，如 "0.512"'
    )

    @field_validator("qty")
    @classmethod
    def _check_qty(cls, value: str | int | None) -> str | int | None:
        _qty(value)
        return value

    def request(self) -> checkout.LineRequest:
        return checkout.LineRequest(self.barcode, _qty(self.qty))


class PaymentIn(ApiModel):
    method: Literal["card", "cash"]
    amount: str = Field(description='两位小数的金额，如 "20.00"')

    @field_validator("amount")
    @classmethod
    def _check_amount(cls, value: str) -> str:
        _amount(value)
        return value


class SaleIn(ApiModel):
    client_ref: str = Field(
        min_length=1, max_length=64, description="客户端生成的唯一号，重放不重复记账"
    )
    card_no: str | None = Field(default=None, max_length=32)
    proxy_id: int | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=checkout.MAX_LINES)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=4)


class QuoteIn(ApiModel):
    card_no: str | None = Field(default=None, max_length=32)
    lines: list[LineIn] = Field(min_length=1, max_length=checkout.MAX_LINES)


class RefundLineIn(ApiModel):
    barcode: str = Field(min_length=1, max_length=32)
    qty: str | int = 1

    @field_validator("qty")
    @classmethod
    def _check_qty(cls, value: str | int) -> str | int:
        _qty(value)
        return value


class RefundIn(ApiModel):
    reason: str = Field(min_length=1, max_length=200)
    lines: list[RefundLineIn] | None = Field(default=None, max_length=checkout.MAX_LINES)
    void: bool = False


class ReceiptOut(ApiModel):
    status: Literal["printed", "queued", "failed", "off"]
    job_id: int | None = None


class SaleLineOut(ApiModel):
    line_no: int
    barcode: str
    name: str
    spec: str
    unit: str
    qty: str
    list_price: str
    charity_price: str
    list_total: str
    total: str
    discount: str
    clothing: bool
    refunded_qty: str


class SaleOut(ApiModel):
    sale_no: str
    client_ref: str
    at: datetime
    terminal: str
    cashier: str
    card_no: str | None
    holder: str | None
    proxy: str | None
    lines: list[SaleLineOut]
    list_total: str
    discount_total: str
    total: str
    paid_card: str
    paid_cash: str
    change: str
    card_balance: str | None
    clothing_used: int
    refunded: str
    receipt: ReceiptOut | None = None


class QuoteLineOut(ApiModel):
    barcode: str
    name: str
    spec: str
    unit: str
    qty: str
    weighed: bool
    clothing: bool
    list_price: str
    charity_price: str
    list_total: str
    total: str
    discount: str
    stock: str


class ClothingOut(ApiModel):
    quarter: str
    allowed: int
    used: int
    next_available: str | None = None


class CardOut(ApiModel):
    card_no: str
    holder: str
    balance: str
    clothing: ClothingOut
    proxies: list[dict[str, Any]]


class QuoteOut(ApiModel):
    lines: list[QuoteLineOut]
    list_total: str
    discount_total: str
    total: str
    clothing_items: int
    card: CardOut | None
    card_pays: str
    cash_due: str
    balance_after: str | None


class RefundOut(ApiModel):
    refund_no: str
    sale_no: str
    kind: str
    card: str
    cash: str
    total: str
    clothing_returned: int
    card_balance: str | None
    receipt: ReceiptOut


class ShiftOpenIn(ApiModel):
    opening_float: str = Field(default="0.00")
    terminal: str | None = Field(default=None, max_length=16)

    @field_validator("opening_float")
    @classmethod
    def _check(cls, value: str) -> str:
        try:
            Money.parse(value)
        except MoneyError as exc:
            raise ValueError(str(exc)) from None
        return value


class ShiftCloseIn(ApiModel):
    counts: dict[str, int] = Field(
        description=f"盲点：面额→张数，面额为 {', '.join(DENOMINATIONS)}"
    )
    reason: str = Field(default="", max_length=200)


class ShiftOut(ApiModel):
    id: int
    terminal: str
    cashier: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    z_number: int | None
    totals: dict[str, Any]
    counted_cash: str | None
    variance: str | None
    variance_reason: str
    held: int
    receipt: ReceiptOut | None = None


class HoldIn(ApiModel):
    card_no: str | None = Field(default=None, max_length=32)
    lines: list[LineIn] = Field(min_length=1, max_length=checkout.MAX_LINES)
    label: str = Field(default="", max_length=64)


class HeldOut(ApiModel):
    id: int
    label: str
    held_at: datetime
    card_no: str | None
    lines: list[dict[str, Any]]


def _money(fen: int | None) -> str | None:
    return None if fen is None else str(Money(fen))


def _qty_text(milli: int) -> str:
    return f"{(Decimal(milli) / checkout.MILLI).normalize():f}"


def sale_out(sale: Sale, receipt: ReceiptOut | None = None) -> SaleOut:
    card_no = None
    if sale.card_id is not None:
        from cards.models import Card

        card = db_session().get(Card, sale.card_id)
        card_no = card.card_no if card else None
    refunded = sum(r.card_fen + r.cash_fen for r in sale.refunds)
    return SaleOut(
        sale_no=sale.sale_no,
        client_ref=sale.client_ref,
        at=sale.at,
        terminal=sale.terminal,
        cashier=sale.actor_name,
        card_no=card_no,
        holder=sale.holder_masked,
        proxy=sale.proxy_name,
        lines=[
            SaleLineOut(
                line_no=line.line_no,
                barcode=line.barcode,
                name=line.name,
                spec=line.spec,
                unit=line.unit,
                qty=_qty_text(line.qty_milli),
                list_price=str(Money(line.unit_list_fen)),
                charity_price=str(Money(line.unit_price_fen)),
                list_total=str(Money(line.list_total_fen)),
                total=str(Money(line.total_fen)),
                discount=str(Money(line.discount_fen)),
                clothing=line.clothing,
                refunded_qty=_qty_text(line.refunded_milli),
            )
            for line in sale.lines
        ],
        list_total=str(Money(sale.list_total_fen)),
        discount_total=str(Money(sale.discount_total_fen)),
        total=str(Money(sale.total_fen)),
        paid_card=str(Money(sale.paid_card_fen)),
        paid_cash=str(Money(sale.paid_cash_fen)),
        change=str(Money(sale.change_fen)),
        card_balance=_money(sale.card_balance_after_fen),
        clothing_used=sale.clothing_items,
        refunded=str(Money(refunded)),
        receipt=receipt,
    )


def _terminal() -> str:
    return app_settings().store.terminal


def _deliver(job_id: int) -> ReceiptOut:
    state = app_state()
    status = jobs.deliver(state.db, job_id, state.settings, at=now())
    return ReceiptOut(status=status, job_id=job_id)  # type: ignore[arg-type]


def _tenders(payments: list[PaymentIn]) -> tuple[Money, Money]:
    card = sum((_amount(p.amount) for p in payments if p.method == "card"), Money.zero())
    cash = sum((_amount(p.amount) for p in payments if p.method == "cash"), Money.zero())
    return card, cash


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
    session = db_session()
    settings = app_settings()
    q = checkout.quote(
        session, [line.request() for line in body.lines], card_no=body.card_no, settings=settings
    )
    card_out = None
    card_pays = Money.zero()
    balance_after = None
    if q.card is not None:
        card_out = card_out_for(q.card)
        balance = ledger.balance(session, q.card.account_id)
        card_pays = min(balance, q.total)
        balance_after = str(balance - card_pays)
    return QuoteOut(
        lines=[
            QuoteLineOut(
                barcode=p.product.barcode,
                name=p.product.name,
                spec=p.product.spec,
                unit=p.product.unit,
                qty=f"{p.qty.normalize():f}",
                weighed=p.product.weighed,
                clothing=p.product.clothing,
                list_price=str(p.price.unit_list),
                charity_price=str(p.price.unit_price),
                list_total=str(p.price.list_total),
                total=str(p.price.total),
                discount=str(p.price.discount),
                stock=f"{p.product.stock.normalize():f}",
            )
            for p in q.lines
        ],
        list_total=str(q.list_total),
        discount_total=str(q.discount_total),
        total=str(q.total),
        clothing_items=q.clothing_items,
        card=card_out,
        card_pays=str(card_pays),
        cash_due=str(q.total - card_pays),
        balance_after=balance_after,
    )


def card_out_for(card: Any) -> CardOut:
    from clothing_exchange.services import status_for

    session = db_session()
    person = card.account.beneficiary
    status = status_for(session, person.id, now(), settings=app_settings())
    return CardOut(
        card_no=card.card_no,
        holder=mask_name(person.name),
        balance=str(ledger.balance(session, card.account_id)),
        clothing=ClothingOut(
            quarter=status.quarter,
            allowed=status.allowed,
            used=status.used,
            next_available=status.next_available.isoformat() if status.next_available else None,
        ),
        proxies=[
            {"id": p.id, "name": p.name, "relation": p.relation}
            for p in getattr(person, "proxies", [])
            if getattr(p, "active", True)
        ],
    )


@api.operation(
    "/terminal/card/<card_no>",
    summary="收银台刷卡：持卡人（脱敏）、余额、本季度衣物额度、代领人",
    roles=(Role.CASHIER,),
    response=CardOut,
    errors=("unknown_card", "card_frozen", "beneficiary_inactive"),
)
def terminal_card(card_no: str) -> CardOut:
    return card_out_for(card_for_payment(db_session(), card_no))


@api.operation(
    "/terminal/qr/<token>",
    summary="收银台扫手机上的余额页二维码：按二维码令牌找到卡",
    roles=(Role.CASHIER,),
    response=CardOut,
    errors=("unknown_card", "card_frozen", "beneficiary_inactive"),
)
def terminal_qr(token: str) -> CardOut:
    card = card_by_token(db_session(), token)
    if card is None:
        raise UnknownCard("二维码无效或卡已挂失、更换：请输入卡面上的 16 位卡号")
    return card_out_for(card_for_payment(db_session(), card.card_no))


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
def create_sale(body: SaleIn) -> Any:
    session = db_session()
    settings = app_settings()
    actor = current_actor()
    at = now()
    paid_card, paid_cash = _tenders(body.payments)
    request = checkout.SaleRequest(
        client_ref=body.client_ref,
        lines=[line.request() for line in body.lines],
        card_no=body.card_no,
        paid_card=paid_card,
        paid_cash=paid_cash,
        proxy_id=body.proxy_id,
    )
    try:
        result = checkout.checkout(
            session, request, at=at, actor=actor, terminal=_terminal(), settings=settings
        )
        if result.replayed:
            return sale_out(result.sale).model_dump(mode="json"), 200
        job = receipts.queue_sale_receipt(
            session, result.sale, settings=settings, at=at, actor=actor
        )
        session.commit()
    except IntegrityError:
        # The same client_ref committed by a concurrent request: answer that sale.
        session.rollback()
        existing = checkout.sale_by_ref(session, body.client_ref.strip())
        if existing is None:
            raise
        return sale_out(existing).model_dump(mode="json"), 200
    return sale_out(result.sale, _deliver(job.id)).model_dump(mode="json"), 201


@api.operation(
    "/sales/<sale_no>",
    summary="查询一笔销售",
    roles=(Role.CASHIER,),
    response=SaleOut,
    errors=("not_found",),
)
def get_sale(sale_no: str) -> SaleOut:
    return sale_out(checkout.get_sale(db_session(), sale_no))


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
    settings = app_settings()
    actor = current_actor()
    at = now()
    request = checkout.RefundRequest(
        reason=body.reason,
        lines=None
        if body.lines is None
        else [checkout.LineRequest(line.barcode, _qty(line.qty)) for line in body.lines],
        void=body.void,
    )
    record = checkout.refund(session, sale_no, request, at=at, actor=actor, settings=settings)
    job = receipts.queue_refund_slip(session, record, settings=settings, at=at, actor=actor)
    balance = (
        str(ledger.balance(session, record.sale.account_id))
        if record.sale.account_id is not None
        else None
    )
    session.commit()
    return RefundOut(
        refund_no=record.refund_no,
        sale_no=record.sale.sale_no,
        kind=record.kind,
        card=str(Money(record.card_fen)),
        cash=str(Money(record.cash_fen)),
        total=str(record.total),
        clothing_returned=record.clothing_items,
        card_balance=balance,
        receipt=_deliver(job.id),
    )


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
    sale = checkout.get_sale(session, sale_no)
    job = jobs.reprint(session, sale.sale_no, at=now(), actor=current_actor(), kind="receipt")
    session.commit()
    return _deliver(job.id)


# --- shifts ---------------------------------------------------------------------------------


def shift_out(shift: Shift, receipt: ReceiptOut | None = None) -> ShiftOut:
    session = db_session()
    totals = shift.z_report if shift.z_report else shift_totals(session, shift).to_json()
    return ShiftOut(
        id=shift.id,
        terminal=shift.terminal,
        cashier=shift.cashier_name,
        status=shift.status,
        opened_at=shift.opened_at,
        closed_at=shift.closed_at,
        z_number=shift.z_number,
        totals=totals,
        counted_cash=_money(shift.counted_cash_fen),
        variance=_money(shift.variance_fen),
        variance_reason=shift.variance_reason,
        held=len(held_sales(session, shift)),
        receipt=receipt,
    )


def _my_shift() -> Shift:
    shift = current_shift(db_session(), api_user().id)
    if shift is None:
        raise NotFound("您当前没有开着的班次")
    return shift


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
    shift = open_shift(
        session,
        actor=current_actor(),
        terminal=body.terminal or _terminal(),
        opening_float=Money.parse(body.opening_float),
        at=now(),
    )
    session.commit()
    return shift_out(shift)


@api.operation(
    "/shifts/current",
    summary="当前班次（X 报表：至今的销售、退货与应有现金）",
    roles=(Role.CASHIER,),
    response=ShiftOut,
    errors=("not_found",),
)
def my_shift() -> ShiftOut:
    return shift_out(_my_shift())


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
    settings = app_settings()
    at = now()
    actor = current_actor()
    shift = close_shift(
        session, _my_shift(), counts=body.counts, reason=body.reason, at=at, actor=actor
    )
    job = receipts.queue_shift_report(session, shift, settings=settings, at=at, actor=actor)
    session.commit()
    return shift_out(shift, _deliver(job.id))


@api.operation(
    "/shifts/<int:shift_id>",
    summary="一个班次的报表（已交班的为 Z 报表，不再变化）",
    roles=(Role.SUPERVISOR,),
    response=ShiftOut,
    errors=("not_found",),
)
def get_shift(shift_id: int) -> ShiftOut:
    shift = db_session().get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"未找到班次 {shift_id}")
    return shift_out(shift)


# --- held sales -----------------------------------------------------------------------------


def _held_out(held: Any) -> HeldOut:
    return HeldOut(
        id=held.id,
        label=held.label,
        held_at=held.held_at,
        card_no=held.payload.get("card_no"),
        lines=held.payload.get("lines", []),
    )


@api.operation(
    "/held",
    method="POST",
    summary="挂单：保存当前购物清单，先接待下一位顾客",
    roles=(Role.CASHIER,),
    body=HoldIn,
    response=HeldOut,
    status=201,
    errors=("validation_error",),
)
def hold(body: HoldIn) -> HeldOut:
    session = db_session()
    at = now()
    actor = current_actor()
    shift = shift_for_work(session, actor=actor, terminal=_terminal(), at=at)
    payload = {
        "card_no": body.card_no,
        "lines": [{"barcode": line.barcode, "qty": line.qty} for line in body.lines],
    }
    held = hold_sale(session, shift, payload, label=body.label, at=at, actor=actor)
    session.commit()
    return _held_out(held)


class HeldListOut(ApiModel):
    items: list[HeldOut]


@api.operation("/held", summary="本班次的挂单", roles=(Role.CASHIER,), response=HeldListOut)
def list_held() -> HeldListOut:
    shift = current_shift(db_session(), api_user().id)
    items = [] if shift is None else [_held_out(h) for h in held_sales(db_session(), shift)]
    return HeldListOut(items=items)


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
    shift = _my_shift()
    row = session.get(HeldSale, held_id)
    if row is None or row.shift_id != shift.id:
        raise NotFound(f"未找到挂单 {held_id}")
    out = _held_out(row)
    take_held(session, shift, held_id)
    session.commit()
    return out


@api.operation(
    "/held/<int:held_id>",
    method="DELETE",
    summary="删除挂单",
    roles=(Role.CASHIER,),
    errors=("not_found",),
)
def discard_held(held_id: int) -> dict[str, Any]:
    session = db_session()
    take_held(session, _my_shift(), held_id)
    session.commit()
    return {"ok": True}
