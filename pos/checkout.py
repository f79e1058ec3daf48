"""Checkout and refunds: one sale in one transaction (lines at the prices of the moment, stock
movements, the card debit, clothing claims), idempotent by the client's reference.

Tender rules (CONTRACT): with a card the charity price applies; without one the list price and
cash only. The card pays at most the balance and at most the total; cash makes up the rest and
only cash gives change. Payments that do not cover the total are refused (`payment_mismatch`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import Card, Proxy
from cards.services import ledger
from cards.services.cards import card_for_payment
from cards.services.text import mask_name
from clothing_exchange.services import claim_for_sale, release_claims, status_for
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, NotFound, PaymentMismatch, ValidationError
from core.money import Money
from core.periods import local_date
from inventory.models import Product
from inventory.services.lookup import LinePrice, lookup, price_line, price_scan
from inventory.services.stock import record_movement
from pos.models import Refund, RefundLine, Sale, SaleLine, Shift
from pos.shifts import shift_for_work

MILLI = Decimal(1000)
MAX_LINES = 200


@dataclass(frozen=True)
class LineRequest:
    barcode: str
    qty: Decimal | None = None  # None: 1, or the weight a scale barcode carries


@dataclass(frozen=True)
class SaleRequest:
    client_ref: str
    lines: Sequence[LineRequest]
    card_no: str | None = None
    paid_card: Money = field(default_factory=Money.zero)
    paid_cash: Money = field(default_factory=Money.zero)
    proxy_id: int | None = None


@dataclass(frozen=True)
class PricedLine:
    product: Product
    qty: Decimal
    price: LinePrice


@dataclass(frozen=True)
class Quote:
    """A cart priced by the rules, before any money moves (the terminal shows this)."""

    card: Card | None
    lines: list[PricedLine]
    list_total: Money
    discount_total: Money
    total: Money
    clothing_items: int


@dataclass(frozen=True)
class CheckoutResult:
    sale: Sale
    replayed: bool


def _qty_milli(qty: Decimal) -> int:
    return int(qty * MILLI)


def sale_by_ref(session: Session, client_ref: str) -> Sale | None:
    return session.scalar(select(Sale).where(Sale.client_ref == client_ref))


def get_sale(session: Session, sale_no: str) -> Sale:
    sale = session.scalar(select(Sale).where(Sale.sale_no == sale_no.strip()))
    if sale is None:
        raise NotFound(f"未找到销售单 {sale_no}")
    return sale


def quote(
    session: Session,
    lines: Sequence[LineRequest],
    *,
    card_no: str | None,
    settings: Settings,
) -> Quote:
    """Price a cart: each line by rule (charity price with a card), refusing what cannot be sold."""
    if not lines:
        raise ValidationError("购物清单为空：至少需要一件商品")
    if len(lines) > MAX_LINES:
        raise ValidationError(f"一单最多 {MAX_LINES} 行，实际 {len(lines)} 行")
    card = card_for_payment(session, card_no) if card_no else None
    if card is None and not settings.store.public_sales:
        raise ValidationError("本店仅向持慈善卡的救助对象销售：请先刷卡")
    priced: list[PricedLine] = []
    for index, line in enumerate(lines, start=1):
        scan = lookup(session, line.barcode, settings=settings)
        product = scan.product
        if not product.active:
            raise ValidationError(f"第 {index} 行：商品 {product.name}（{product.barcode}）已停售")
        if product.clothing and card is None:
            raise ValidationError(f"第 {index} 行：衣物 {product.name} 只能凭慈善卡领取，请先刷卡")
        if line.qty is not None:
            qty = line.qty
            price = price_line(product, qty, charity=card is not None)
        else:
            qty = scan.qty if scan.qty is not None else Decimal(1)
            price = price_scan(scan, charity=card is not None)
        if qty <= 0:
            raise ValidationError(f"第 {index} 行：数量必须大于零")
        priced.append(PricedLine(product, qty, price))
    list_total = sum((p.price.list_total for p in priced), Money.zero())
    total = sum((p.price.total for p in priced), Money.zero())
    clothing = sum(int(p.qty) for p in priced if p.product.clothing)
    return Quote(card, priced, list_total, list_total - total, total, clothing)


def _check_tenders(q: Quote, paid_card: Money, paid_cash: Money) -> Money:
    """The change to give, or PaymentMismatch naming what is wrong."""
    if paid_card.is_negative or paid_cash.is_negative:
        raise PaymentMismatch("付款金额不能为负数")
    if paid_card and q.card is None:
        raise PaymentMismatch("未刷慈善卡，不能用卡支付")
    if paid_card > q.total:
        raise PaymentMismatch(
            f"卡支付 {paid_card.format()} 超过应付金额 {q.total.format()}：卡只付应付部分"
        )
    paid = paid_card + paid_cash
    if paid < q.total:
        raise PaymentMismatch(
            f"付款不足：应付 {q.total.format()}，实付 {paid.format()}，还差 {(q.total - paid).format()}"
        )
    return paid - q.total


def checkout(
    session: Session,
    request: SaleRequest,
    *,
    at: datetime,
    actor: Actor,
    terminal: str,
    settings: Settings,
) -> CheckoutResult:
    """Make one sale, whole or not at all (the caller commits). A `client_ref` seen before
    answers the earlier sale and changes nothing."""
    ref = request.client_ref.strip()
    if not ref:
        raise ValidationError("字段 client_ref：不能为空")
    existing = sale_by_ref(session, ref)
    if existing is not None:
        return CheckoutResult(existing, replayed=True)
    q = quote(session, request.lines, card_no=request.card_no, settings=settings)
    change = _check_tenders(q, request.paid_card, request.paid_cash)
    card = q.card
    proxy = _proxy(session, card, request.proxy_id)
    if actor.user_id is None:
        raise ValidationError("收银需要员工账号")
    shift = shift_for_work(session, actor=actor, terminal=terminal, at=at)
    sale = Sale(
        sale_no=f"tmp-{secrets.token_hex(8)}",
        client_ref=ref,
        shift_id=shift.id,
        terminal=shift.terminal,
        at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
        card_id=card.id if card else None,
        account_id=card.account_id if card else None,
        beneficiary_id=card.account.beneficiary_id if card else None,
        holder_masked=mask_name(card.account.beneficiary.name) if card else None,
        proxy_id=proxy.id if proxy else None,
        proxy_name=proxy.name if proxy else None,
        list_total_fen=q.list_total.fen,
        discount_total_fen=q.discount_total.fen,
        total_fen=q.total.fen,
        paid_card_fen=request.paid_card.fen,
        paid_cash_fen=request.paid_cash.fen,
        change_fen=change.fen,
        clothing_items=q.clothing_items,
    )
    session.add(sale)
    session.flush()  # a replayed client_ref that raced us fails here (unique key)
    sale.sale_no = f"{local_date(at, settings.tz):%Y%m%d}-{shift.terminal}-{sale.id:06d}"
    for number, line in enumerate(q.lines, start=1):
        sale.lines.append(
            SaleLine(
                line_no=number,
                product_id=line.product.id,
                barcode=line.product.barcode,
                name=line.product.name,
                spec=line.product.spec,
                unit=line.product.unit,
                qty_milli=_qty_milli(line.qty),
                weighed=line.product.weighed,
                clothing=line.product.clothing,
                unit_list_fen=line.price.unit_list.fen,
                unit_price_fen=line.price.unit_price.fen,
                list_total_fen=line.price.list_total.fen,
                total_fen=line.price.total.fen,
                discount_fen=line.price.discount.fen,
            )
        )
    # Stock rows are locked in one order (product id) by every sale and refund, so two terminals
    # selling the same goods in a different order wait for each other instead of deadlocking.
    for line in sorted(q.lines, key=lambda p: p.product.id):
        record_movement(
            session,
            line.product,
            -line.qty,
            "sale",
            at=at,
            actor=actor,
            reference=sale.sale_no,
            block_negative=settings.inventory.block_negative,
        )
    if card is not None:
        clothing = [(p.product.id, int(p.qty)) for p in q.lines if p.product.clothing]
        if clothing:
            claim_for_sale(
                session,
                beneficiary_id=card.account.beneficiary_id,
                items=clothing,
                sale_no=sale.sale_no,
                at=at,
                actor=actor,
                settings=settings,
            )
        if request.paid_card:
            sale.ledger_txn_id = ledger.debit_for_sale(
                session,
                card.account_id,
                request.paid_card,
                sale_no=sale.sale_no,
                at=at,
                tz=settings.tz,
                actor=actor,
            )
        sale.card_balance_after_fen = ledger.balance(session, card.account_id).fen
    session.flush()
    return CheckoutResult(sale, replayed=False)


def _proxy(session: Session, card: Card | None, proxy_id: int | None) -> Proxy | None:
    if proxy_id is None:
        return None
    if card is None:
        raise ValidationError("代领人需随慈善卡一起登记：请先刷卡")
    proxy = session.get(Proxy, proxy_id)
    if proxy is None or proxy.beneficiary_id != card.account.beneficiary_id:
        raise ValidationError(f"代领人 {proxy_id} 不是此卡持有人登记的代领人")
    return proxy


# --- refunds --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundRequest:
    reason: str
    lines: Sequence[LineRequest] | None = None  # None: everything not yet refunded
    void: bool = False


def _remaining_milli(line: SaleLine) -> int:
    return line.qty_milli - line.refunded_milli


def _line_amount(line: SaleLine, milli: int) -> Money:
    """What `milli` thousandths of a line are worth: proportional, half up; the last units take
    whatever is left, so the refunds of a line add up to exactly what was paid for it."""
    left = line.total_fen - line.refunded_fen
    if milli == _remaining_milli(line):
        return Money(left)
    share = Money(line.total_fen).multiply(Decimal(milli) / Decimal(line.qty_milli))
    return Money(min(share.fen, left))


def _allocate(sale: Sale, request: RefundRequest) -> list[tuple[SaleLine, int]]:
    if request.lines is None:
        picks = [(line, _remaining_milli(line)) for line in sale.lines if _remaining_milli(line)]
        if not picks:
            raise Conflict(f"销售单 {sale.sale_no} 已全部退货")
        return picks
    if not request.lines:
        raise ValidationError("退货行为空：不填 lines 表示整单退货")
    wanted: dict[str, int] = {}
    for index, item in enumerate(request.lines, start=1):
        if item.qty is not None and item.qty <= 0:
            raise ValidationError(f"第 {index} 行：退货数量必须大于零")
        qty = item.qty if item.qty is not None else Decimal(1)
        wanted[item.barcode] = wanted.get(item.barcode, 0) + _qty_milli(qty)
    picks: list[tuple[SaleLine, int]] = []
    for barcode, milli in wanted.items():
        candidates = [line for line in sale.lines if line.barcode == barcode]
        if not candidates:
            raise ValidationError(f"销售单 {sale.sale_no} 中没有条码为 {barcode} 的商品")
        available = sum(_remaining_milli(line) for line in candidates)
        if milli > available:
            raise ValidationError(
                f"条码 {barcode} 最多还能退 {Decimal(available) / MILLI:f}，"
                f"本次要退 {Decimal(milli) / MILLI:f}"
            )
        for line in candidates:
            take = min(milli, _remaining_milli(line))
            if take:
                picks.append((line, take))
                milli -= take
    return picks


def refund(
    session: Session,
    sale_no: str,
    request: RefundRequest,
    *,
    at: datetime,
    actor: Actor,
    settings: Settings,
) -> Refund:
    """Return money to the same tenders (card first, up to what the card paid, then cash), goods
    to stock and clothing allowance to the quarter. Never more than was paid. A void is a whole
    refund of a sale whose shift is still open."""
    reason = request.reason.strip()
    if not reason:
        raise ValidationError("退货必须填写原因")
    sale = get_sale(session, sale_no)
    if request.void:
        if sale.refunds:
            raise Conflict(f"销售单 {sale.sale_no} 已有退货，不能作废")
        if session.get(Shift, sale.shift_id).status != "open":  # type: ignore[union-attr]
            raise Conflict(f"销售单 {sale.sale_no} 所在班次已交班，只能退货不能作废")
        if request.lines is not None:
            raise ValidationError("作废是整单的：不要填写 lines")
    picks = _allocate(sale, request)
    amounts = [(line, milli, _line_amount(line, milli)) for line, milli in picks]
    total = sum((amount for _, _, amount in amounts), Money.zero())
    card_refunded = sum(r.card_fen for r in sale.refunds)
    card_part = Money(min(total.fen, sale.paid_card_fen - card_refunded))
    cash_part = total - card_part
    shift = _refund_shift(session, sale, actor=actor, at=at, needs_cash=bool(cash_part))
    number = len(sale.refunds) + 1
    record = Refund(
        refund_no=f"{sale.sale_no}-R{number}",
        sale_id=sale.id,
        shift_id=shift.id,
        kind="void" if request.void else "refund",
        at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
        reason=reason,
        card_fen=card_part.fen,
        cash_fen=cash_part.fen,
    )
    session.add(record)
    clothing_back = 0
    # In product order, like checkout (see there): no deadlock between concurrent sales/refunds.
    for line, milli, amount in sorted(amounts, key=lambda a: (a[0].product_id, a[0].id)):
        line.refunded_milli += milli
        line.refunded_fen += amount.fen
        record.lines.append(
            RefundLine(sale_line_id=line.id, qty_milli=milli, amount_fen=amount.fen)
        )
        product = session.get(Product, line.product_id)
        assert product is not None  # a sale line's product is never deleted (FK)
        qty = Decimal(milli) / MILLI
        record_movement(
            session,
            product,
            qty,
            "refund",
            at=at,
            actor=actor,
            reference=record.refund_no,
            reason=reason,
        )
        if line.clothing:
            clothing_back += release_claims(
                session,
                sale_no=sale.sale_no,
                product_id=line.product_id,
                qty=int(qty),
                at=at,
                actor=actor,
            )
    record.clothing_items = clothing_back
    session.flush()
    if card_part and sale.account_id is not None:
        record.ledger_txn_id = ledger.credit_refund(
            session,
            sale.account_id,
            card_part,
            sale_no=sale.sale_no,
            refund_no=record.refund_no,
            at=at,
            tz=settings.tz,
            actor=actor,
        )
    session.flush()
    return record


def _refund_shift(
    session: Session, sale: Sale, *, actor: Actor, at: datetime, needs_cash: bool
) -> Shift:
    """Cash comes out of a drawer: the sale's shift while open, else the open shift of the same
    terminal, else the acting supervisor's own (opened with a zero float)."""
    shift = session.get(Shift, sale.shift_id)
    if shift is not None and shift.status == "open":
        return shift
    same_terminal = session.scalar(
        select(Shift)
        .where(Shift.terminal == sale.terminal, Shift.status == "open")
        .order_by(Shift.id.desc())
        .limit(1)
    )
    if same_terminal is not None:
        return same_terminal
    return shift_for_work(session, actor=actor, terminal=sale.terminal, at=at)


def clothing_left(
    session: Session, sale: Sale, *, at: datetime, settings: Settings
) -> tuple[int, int]:
    """(used, left) of the card holder's quarter after this sale."""
    if sale.beneficiary_id is None:
        return 0, 0
    status = status_for(session, sale.beneficiary_id, at, settings=settings)
    return status.used, max(status.allowed - status.used, 0)


def count_sales(session: Session) -> int:
    return session.scalar(select(func.count(Sale.id))) or 0
