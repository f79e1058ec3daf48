"""The counter's request and answer models (pydantic), shared by the JSON API and the pages, and
the serialisers that turn the services' rows and results into answers.

Quantities and amounts keep their wire types (`str | int`, `str`) so that a wrong type is named
as such, and are parsed by `core.fields`, the one parser of what people type."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field, field_validator, model_validator

from cards.schemas import CardAnswer
from core.fields import parse_amount, parse_quantity
from core.forms import FormModel
from core.money import Money
from core.web import ApiModel
from pos.models import MILLI, Sale, Shift
from pos.printing.services.jobs import Delivery
from pos.services.checkout import MAX_LINES, LineRequest, Quote, Tender
from pos.services.held import HeldCart, HeldLine
from pos.services.refunds import RefundResult
from pos.services.shifts import DENOMINATIONS
from pos.services.totals import ReportFigures

MAX_LINE_QTY = Decimal(9999)  # a sale line: more is a slip of the scanner or the keyboard


def _line_qty(value: str | int) -> Decimal:
    return parse_quantity(value, max_qty=MAX_LINE_QTY)


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _qty_text(milli: int) -> str:
    return _text(Decimal(milli) / MILLI)


def _money(fen: int | None) -> str | None:
    return None if fen is None else str(Money(fen))


# --- requests ---------------------------------------------------------------------------------


class LineIn(ApiModel):
    barcode: str = Field(min_length=1, max_length=32)
    qty: str | int | None = Field(
        default=None, description='数量；称重商品最多三位小数，如 "0.512"'
    )
    price: str | None = Field(
        default=None, description='手工定价商品在收银台输入的单价（标价），如 "3.50"'
    )
    approval: str | None = Field(
        default=None,
        max_length=64,
        description="单价超过店长授权线时：店长授权（/open-price/approve）",
    )

    @field_validator("qty")
    @classmethod
    def _check_qty(cls, value: str | int | None) -> str | int | None:
        if value is not None:
            _line_qty(value)
        return value

    @field_validator("price")
    @classmethod
    def _check_price(cls, value: str | None) -> str | None:
        if value is not None:
            parse_amount(value)
        return value

    def request(self) -> LineRequest:
        return LineRequest(
            self.barcode,
            None if self.qty is None else _line_qty(self.qty),
            price=None if self.price is None else parse_amount(self.price),
            approval=self.approval or "",
        )

    def held(self) -> HeldLine:
        return HeldLine(self.barcode, self.qty)


class PaymentIn(ApiModel):
    method: Literal["card", "cash", "qr"]
    amount: str = Field(description='两位小数的金额，如 "20.00"')
    reference: str | None = Field(
        default=None,
        max_length=32,
        description="qr（顾客扫本店微信/支付宝收款码）：交易单号的末几位（4 至 32 位字母数字）",
    )

    @field_validator("amount")
    @classmethod
    def _check_amount(cls, value: str) -> str:
        parse_amount(value)
        return value

    @model_validator(mode="after")
    def _check_reference(self) -> PaymentIn:
        if self.method == "qr":
            text = (self.reference or "").strip()
            if not re.fullmatch(r"[0-9A-Za-z]{4,32}", text):
                raise ValueError(f"扫码收款须填写交易单号末 4 位以上的数字或字母（收到“{text}”）")
        elif self.reference:
            raise ValueError(f"只有扫码收款（qr）填写交易单号，{self.method} 不填")
        return self

    @property
    def money(self) -> Money:
        return parse_amount(self.amount)


class SaleIn(ApiModel):
    client_ref: str = Field(
        min_length=1, max_length=64, description="客户端生成的唯一号，重放不重复记账"
    )
    card_no: str | None = Field(default=None, max_length=32)
    proxy_id: int | None = None
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    payments: list[PaymentIn] = Field(default_factory=list, max_length=4)

    def tenders(self) -> tuple[Money, Money]:
        """(card, cash): what the payments tender by each method."""
        card = sum((p.money for p in self.payments if p.method == "card"), Money.zero())
        cash = sum((p.money for p in self.payments if p.method == "cash"), Money.zero())
        return card, cash

    def qr_tender(self) -> tuple[Money, str]:
        """(amount, reference) of the QR tender ("" when none; several join their references)."""
        qr = [p for p in self.payments if p.method == "qr"]
        amount = sum((p.money for p in qr), Money.zero())
        return amount, ",".join((p.reference or "").strip() for p in qr)[:32]


class QuoteIn(ApiModel):
    card_no: str | None = Field(default=None, max_length=32)
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class RefundLineIn(ApiModel):
    barcode: str = Field(min_length=1, max_length=32)
    qty: str | int = 1

    @field_validator("qty")
    @classmethod
    def _check_qty(cls, value: str | int) -> str | int:
        _line_qty(value)
        return value

    def request(self) -> LineRequest:
        return LineRequest(self.barcode, _line_qty(self.qty))


class RefundIn(ApiModel):
    reason: str = Field(min_length=1, max_length=200)
    lines: list[RefundLineIn] | None = Field(default=None, max_length=MAX_LINES)
    void: bool = False
    receiptless: bool = Field(default=False, description="无小票退货（无卡销售有限额）")

    @field_validator("reason", mode="before")
    @classmethod
    def _reason_length(cls, value: object) -> object:
        # the schema's maxLength counts what was sent, before the whitespace is stripped
        if isinstance(value, str) and len(value) > 200:
            raise ValueError(f"退货原因最多 200 个字（收到 {len(value)} 个）")
        return value


class ShiftOpenIn(ApiModel):
    opening_float: str = Field(default="0.00")
    terminal: str | None = Field(default=None, max_length=16)

    @field_validator("opening_float")
    @classmethod
    def _check(cls, value: str) -> str:
        parse_amount(value, what="备用金", allow_zero=True)
        return value

    @property
    def money(self) -> Money:
        return parse_amount(self.opening_float, what="备用金", allow_zero=True)


class ShiftCloseIn(ApiModel):
    counts: dict[str, int] = Field(
        description=f"盲点：面额→张数，面额为 {', '.join(DENOMINATIONS)}"
    )
    reason: str = Field(default="", max_length=200)


class ShiftUncountedIn(ApiModel):
    """A supervisor's close of a stale shift without a count (未清点): why."""

    reason: str = Field(max_length=200)


class UncountedCloseForm(FormModel):
    """The shifts page's close of a stale shift as 未清点."""

    reason: str = ""


class HoldIn(ApiModel):
    card_no: str | None = Field(default=None, max_length=32)
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    label: str = Field(default="", max_length=64)


class LoginRequest(ApiModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


# --- answers ----------------------------------------------------------------------------------


class ReceiptOut(ApiModel):
    status: Delivery
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
    cash_kept: str = "0.00"  # cash tendered minus change: what the drawer kept
    paid_qr: str = "0.00"  # the recorded QR tender (the store's own collection code)
    qr_reference: str = ""

    @classmethod
    def of(
        cls, sale: Sale, receipt: ReceiptOut | None = None, *, cashier: str | None = None
    ) -> SaleOut:
        """`cashier` is the staff member's name as people know it (default: the name recorded)."""
        refunded = sum(r.total.fen for r in sale.refunds)
        return cls(
            sale_no=sale.sale_no,
            client_ref=sale.client_ref,
            at=sale.at,
            terminal=sale.terminal,
            cashier=cashier or sale.actor_name,
            card_no=sale.card.card_no if sale.card else None,
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
            cash_kept=str(Money(sale.paid_cash_fen - sale.change_fen)),
            paid_qr=str(Money(sale.paid_qr_fen)),
            qr_reference=sale.qr_reference,
            card_balance=_money(sale.card_balance_after_fen),
            clothing_used=sale.clothing_items,
            refunded=str(Money(refunded)),
            receipt=receipt,
        )


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
    open_price: bool = False


class QuoteOut(ApiModel):
    lines: list[QuoteLineOut]
    list_total: str
    discount_total: str
    total: str
    clothing_items: int
    card: CardAnswer | None
    card_pays: str
    cash_due: str
    balance_after: str | None

    @classmethod
    def of(cls, q: Quote, card: CardAnswer | None, tender: Tender | None) -> QuoteOut:
        return cls(
            lines=[
                QuoteLineOut(
                    barcode=p.product.barcode,
                    name=p.product.name,
                    spec=p.product.spec,
                    unit=p.product.unit,
                    qty=_text(p.qty),
                    weighed=p.product.weighed,
                    clothing=p.product.clothing,
                    list_price=str(p.price.unit_list),
                    charity_price=str(p.price.unit_price),
                    list_total=str(p.price.list_total),
                    total=str(p.price.total),
                    discount=str(p.price.discount),
                    stock=_text(p.product.stock),
                    open_price=p.product.open_price,
                )
                for p in q.lines
            ],
            list_total=str(q.list_total),
            discount_total=str(q.discount_total),
            total=str(q.total),
            clothing_items=q.clothing_items,
            card=card,
            card_pays=str(tender.card_pays if tender else Money.zero()),
            cash_due=str(tender.cash_due if tender else q.total),
            balance_after=None if tender is None else str(tender.balance_after),
        )


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
    qr: str = "0.00"  # back by the QR tender (the cashier returns it through WeChat/Alipay)

    @classmethod
    def of(cls, result: RefundResult, receipt: ReceiptOut) -> RefundOut:
        record = result.refund
        return cls(
            refund_no=record.refund_no,
            sale_no=record.sale.sale_no,
            kind=record.kind,
            card=str(Money(record.card_fen)),
            cash=str(Money(record.cash_fen)),
            qr=str(Money(record.qr_fen)),
            total=str(record.total),
            clothing_returned=record.clothing_items,
            card_balance=None if result.card_balance is None else str(result.card_balance),
            receipt=receipt,
        )


class ShiftOut(ApiModel):
    id: int
    terminal: str
    cashier: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    z_number: int | None
    totals: ReportFigures
    counted_cash: str | None
    variance: str | None
    variance_reason: str
    held: int
    business_date: str  # the day it was opened, store time: it takes that day's sales only
    stale: bool  # open, and of an earlier business day: to be closed before the next sale
    uncounted: bool  # closed by a supervisor without a cash count (未清点)
    receipt: ReceiptOut | None = None
    seal: str | None = None  # the ledger's seal at the close (`SEQ:HASH`), printed on the Z

    @classmethod
    def of(
        cls,
        shift: Shift,
        *,
        totals: ReportFigures,
        held: int,
        business_date: date,
        stale: bool,
        receipt: ReceiptOut | None = None,
        cashier: str | None = None,
    ) -> ShiftOut:
        return cls(
            id=shift.id,
            terminal=shift.terminal,
            cashier=cashier or shift.cashier_name,
            status=shift.status,
            opened_at=shift.opened_at,
            closed_at=shift.closed_at,
            z_number=shift.z_number,
            totals=totals,
            counted_cash=_money(shift.counted_cash_fen),
            variance=_money(shift.variance_fen),
            variance_reason=shift.variance_reason,
            held=held,
            business_date=business_date.isoformat(),
            stale=stale,
            uncounted=shift.status == "closed" and shift.counted_cash_fen is None,
            receipt=receipt,
            seal=shift.z_seal,
        )


class HeldLineOut(ApiModel):
    barcode: str
    qty: str | int | None = None


class HeldOut(ApiModel):
    id: int
    label: str
    held_at: datetime
    card_no: str | None
    lines: list[HeldLineOut]

    @classmethod
    def of(cls, held: HeldCart) -> HeldOut:
        return cls(
            id=held.id,
            label=held.label,
            held_at=held.held_at,
            card_no=held.card_no,
            lines=[HeldLineOut(barcode=line.barcode, qty=line.qty) for line in held.lines],
        )


class HeldListOut(ApiModel):
    items: list[HeldOut]


class LoginAnswer(ApiModel):
    token: str
    expires_at: str
    role: str
    username: str


class MeAnswer(ApiModel):
    username: str
    name: str
    role: str
