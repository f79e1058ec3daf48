"""Checkout: a cart priced by the rules (the quote the terminal shows at every scan), and one sale
in one transaction (lines at the prices of the moment, stock movements, the card debit, clothing
claims, the receipt queued), numbered without gaps per terminal and day (`numbering`), and
idempotent by the client's reference: the same request again answers the sale it made, another
request under the same reference is refused (`conflict`).

Tender rules (CONTRACT): with a card the charity price applies; without one the list price and
cash only. The card pays at most the balance and at most the total (`card_tender`); cash makes up
the rest and only cash gives change. Payments that do not cover the total are refused
(`payment_mismatch`). A recorded `qr` tender (money the customer paid to the store's own
WeChat/Alipay collection code, with the transaction's last digits) pays at most what the card
leaves and never gives change; it is kept apart from cash (X, Z and the day close).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cards.hooks import ClothingAllowance
from cards.models import Card, Proxy
from cards.services import ledger
from cards.services.cards import card_for_payment
from cards.services.text import mask_name
from clothing_exchange.services import claim_for_sale
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, PaymentMismatch, ValidationError
from core.keys import DataKeys
from core.money import Money
from core.periods import local_date
from inventory.models import Product
from inventory.services.counter_keys import price_open_line
from inventory.services.lookup import LinePrice, lookup, price_line, price_scan
from inventory.services.stock import record_movement
from pos.models import MILLI, Sale, SaleLine
from pos.printing.models import PrintJob
from pos.services.numbering import next_sale_number, sale_number
from pos.services.open_price import check_approval
from pos.services.receipts import queue_sale_receipt
from pos.services.sales import sale_by_ref
from pos.services.shifts import shift_for_work

MAX_LINES = 200


@dataclass(frozen=True)
class LineRequest:
    barcode: str
    qty: Decimal | None = None  # None: 1, or the weight a scale barcode carries
    price: Money | None = None  # an open-price product's list price, typed at the counter
    approval: str = ""  # a supervisor's authorisation of that price (`open_price.approve`)


@dataclass(frozen=True)
class SaleRequest:
    client_ref: str
    lines: Sequence[LineRequest]
    card_no: str | None = None
    paid_card: Money = field(default_factory=Money.zero)
    paid_cash: Money = field(default_factory=Money.zero)
    proxy_id: int | None = None
    paid_qr: Money = field(default_factory=Money.zero)
    qr_reference: str = ""


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
class Tender:
    """How a total splits between a card and cash."""

    card_pays: Money
    cash_due: Money
    balance_after: Money


def card_tender(total: Money, balance: Money) -> Tender:
    """The card pays at most its balance and at most the total; cash makes up the rest."""
    card_pays = min(balance, total)
    return Tender(
        card_pays=card_pays, cash_due=total - card_pays, balance_after=balance - card_pays
    )


@dataclass(frozen=True)
class CheckoutResult:
    """The sale made, or the earlier sale of the same `client_ref` (`replayed`: nothing was
    written, the caller has nothing to commit). `receipt` is the receipt queued with a new sale."""

    sale: Sale
    replayed: bool
    receipt: PrintJob | None = None


def qty_milli(qty: Decimal) -> int:
    """A quantity in the integer thousandths the tables keep."""
    return int(qty * MILLI)


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
        if product.open_price or line.price is not None:
            if line.price is None:
                raise ValidationError(f"第 {index} 行：{product.name} 是手工定价商品，请输入单价")
            qty = line.qty if line.qty is not None else Decimal(1)
            price = price_open_line(product, line.price, qty, charity=card is not None, line=index)
        elif line.qty is not None:
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


def _check_tenders(
    q: Quote, paid_card: Money, paid_cash: Money, paid_qr: Money | None = None
) -> Money:
    """The change to give, or PaymentMismatch naming what is wrong."""
    qr = paid_qr or Money.zero()
    if paid_card.is_negative or paid_cash.is_negative or qr.is_negative:
        raise PaymentMismatch("付款金额不能为负数")
    if qr and paid_card + qr > q.total:
        raise PaymentMismatch(
            f"扫码收款 {qr.format()} 超过应收 {(q.total - paid_card).format()}："
            "扫码只收应收部分，不找零"
        )
    if paid_card and q.card is None:
        raise PaymentMismatch("未刷慈善卡，不能用卡支付")
    if paid_card > q.total:
        raise PaymentMismatch(
            f"卡支付 {paid_card.format()} 超过应付金额 {q.total.format()}：卡只付应付部分"
        )
    paid = paid_card + qr + paid_cash
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
    allowance: ClothingAllowance | None,
    keys: DataKeys,
) -> CheckoutResult:
    """Make one sale with its receipt queued, whole or not at all (the caller commits). A
    `client_ref` seen before, even one a concurrent request is committing at this very moment,
    answers the earlier sale and changes nothing. An open price above its product's threshold
    needs a supervisor's authorisation checked under `keys`."""
    ref = request.client_ref.strip()
    if not ref:
        raise ValidationError("字段 client_ref：不能为空")
    fingerprint = request_fingerprint(request)
    existing = sale_by_ref(session, ref)
    if existing is not None:
        return _replay(existing, fingerprint)
    q = quote(session, request.lines, card_no=request.card_no, settings=settings)
    change = _check_tenders(q, request.paid_card, request.paid_cash, request.paid_qr)
    for index, (asked, priced) in enumerate(zip(request.lines, q.lines, strict=True), start=1):
        if asked.price is not None:
            check_approval(
                priced.product,
                asked.price,
                asked.approval,
                keys=keys,
                day=local_date(at, settings.tz),
                line=index,
            )
    card = q.card
    proxy = _proxy(session, card, request.proxy_id)
    if actor.user_id is None:
        raise ValidationError("收银需要员工账号")
    try:
        # One savepoint for the shift this sale may open and the sale's row: a concurrent request
        # that committed the same client_ref makes our insert fail on the unique key (after
        # waiting for it), and then neither is left behind.
        # The day's number is taken inside it too, so a sale that loses gives its number back.
        with session.begin_nested():
            shift = shift_for_work(session, actor=actor, terminal=terminal, at=at, tz=settings.tz)
            day = local_date(at, settings.tz)
            number = next_sale_number(session, shift.terminal, day)
            sale = Sale(
                sale_no=sale_number(shift.terminal, day, number),
                client_ref=ref,
                request_hash=fingerprint,
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
                paid_qr_fen=request.paid_qr.fen,
                qr_reference=request.qr_reference.strip()[:32],
                change_fen=change.fen,
                clothing_items=q.clothing_items,
            )
            session.add(sale)
            session.flush()
    except IntegrityError:
        existing = sale_by_ref(session, ref)
        if existing is None:
            raise
        return _replay(existing, fingerprint)
    for number, line in enumerate(q.lines, start=1):
        sale.lines.append(
            SaleLine(
                line_no=number,
                product_id=line.product.id,
                barcode=line.product.barcode,
                name=line.product.name,
                spec=line.product.spec,
                unit=line.product.unit,
                qty_milli=qty_milli(line.qty),
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
                keys=keys,
            )
        sale.card_balance_after_fen = ledger.balance(session, card.account_id).fen
    session.flush()
    receipt = queue_sale_receipt(
        session, sale, settings=settings, at=at, actor=actor, allowance=allowance
    )
    return CheckoutResult(sale, replayed=False, receipt=receipt)


def request_fingerprint(request: SaleRequest) -> str:
    """SHA-256 of the request in canonical form: the card, each line (barcode and quantity, as
    numbers: `2`, `"2"` and `"2.000"` are one quantity), the tenders in fen and the proxy. Two
    requests with the same fingerprint make the same sale."""
    canonical = {
        "card_no": (request.card_no or "").strip() or None,
        "lines": [
            [line.barcode.strip(), None if line.qty is None else format(line.qty.normalize(), "f")]
            + ([] if line.price is None else [line.price.fen])  # only then: old ones stay
            for line in request.lines
        ],
        "paid_card": request.paid_card.fen,
        "paid_cash": request.paid_cash.fen,
        "proxy_id": request.proxy_id,
    }
    if request.paid_qr:  # only then: sales without it keep their fingerprints
        canonical["paid_qr"] = request.paid_qr.fen
        canonical["qr_reference"] = request.qr_reference.strip()
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replay(existing: Sale, fingerprint: str) -> CheckoutResult:
    """The earlier sale of a `client_ref`, if this request is the same one again; a different
    request under a used reference is refused (`conflict`) and changes nothing."""
    if existing.request_hash is not None and existing.request_hash != fingerprint:
        raise Conflict(
            f"client_ref {existing.client_ref} 已用于销售单 {existing.sale_no}，"
            "但这次的内容（卡、商品、数量或付款）不同：新的销售请换一个新的 client_ref"
        )
    return CheckoutResult(existing, replayed=True)


def _proxy(session: Session, card: Card | None, proxy_id: int | None) -> Proxy | None:
    if proxy_id is None:
        return None
    if card is None:
        raise ValidationError("代领人需随慈善卡一起登记：请先刷卡")
    proxy = session.get(Proxy, proxy_id)
    if proxy is None or proxy.beneficiary_id != card.account.beneficiary_id:
        raise ValidationError(f"代领人 {proxy_id} 不是此卡持有人登记的代领人")
    return proxy
