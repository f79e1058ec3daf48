"""Sales and refunds reconciled with the cards ledger (pos sits above cards, so the comparison
lives here): every sale's and refund's card amount equals its ledger posting and every card
purchase or refund in the ledger belongs to one; a sale's totals equal its lines and its
tenders; a refund's tenders equal its lines. Each check is one set-based query (the database
does the work; at most `limit` problems of each kind are named)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Row, Subquery, func, or_, select
from sqlalchemy.orm import Session

from cards.models import LedgerTransaction, Posting
from core.checks import CheckResult
from core.money import Money
from pos.models import Refund, RefundLine, Sale, SaleLine


def reconcile_sales(session: Session, *, limit: int = 50) -> CheckResult:
    """Every reconciliation of sales and refunds with their lines and the ledger."""
    problems = [
        *card_payments(session, limit),
        *card_refunds(session, limit),
        *ledger_without_sale(session, limit),
        *sale_totals(session, limit),
        *refund_totals(session, limit),
    ]
    sales = session.scalar(select(func.count()).select_from(Sale)) or 0
    refunds = session.scalar(select(func.count()).select_from(Refund)) or 0
    summary = f"销售：{sales} 笔销售、{refunds} 笔退货与账本对账" + (
        "，核对通过" if not problems else f"，发现 {len(problems)} 处问题"
    )
    return CheckResult(summary=summary, problems=problems)


def _wallet_postings() -> Subquery:
    """Per ledger transaction: its wallet and the wallet's signed amount."""
    return (
        select(
            Posting.txn_id,
            func.min(Posting.account_id).label("account_id"),
            func.sum(Posting.amount_fen).label("fen"),
        )
        .where(Posting.account_id.is_not(None))
        .group_by(Posting.txn_id)
        .subquery()
    )


def _ledger_problem(
    what: str,
    *,
    paid_fen: int,
    account_id: int | None,
    txn_id: int | None,
    kind: str | None,
    idem_key: str | None,
    expected_kind: str,
    expected_key: str,
    wallet_account: int | None,
    wallet_fen: int | None,
    sign: int,
) -> str | None:
    paid = Money(paid_fen)
    if txn_id is None:
        return f"{what} 卡支付 {paid}，但账本中没有对应的交易" if paid_fen else None
    if kind is None:
        return f"{what} 记录的账本交易（编号 {txn_id}）不存在"
    if kind != expected_kind or idem_key != expected_key:
        return f"{what} 记录的账本交易（编号 {txn_id}）不是它的，而是 {idem_key or kind}"
    booked = Money(sign * (wallet_fen or 0))
    if wallet_account != account_id or booked != paid:
        return f"{what} 卡支付 {paid}，账本中为 {booked}（账户 {wallet_account}）"
    return None


def _problems(
    rows: Iterable[Row[Any]], label: str, kind: str, key_prefix: str, sign: int, limit: int
) -> list[str]:
    """The first `limit` problems of rows (number, card fen, account, txn id, txn kind, its
    idem key, the wallet posting's account and fen) whose ledger transaction should be `kind`
    under `key_prefix:number`, its wallet posting `sign` times the card amount."""
    problems: list[str] = []
    for number, paid, account, txn_id, txn_kind, key, w_account, w_fen in rows:
        problem = _ledger_problem(
            f"{label} {number}",
            paid_fen=paid,
            account_id=account,
            txn_id=txn_id,
            kind=txn_kind,
            idem_key=key,
            expected_kind=kind,
            expected_key=f"{key_prefix}:{number}",
            wallet_account=w_account,
            wallet_fen=w_fen,
            sign=sign,
        )
        if problem:
            problems.append(problem)
            if len(problems) >= limit:
                break
    return problems


def card_payments(session: Session, limit: int = 50) -> list[str]:
    """Each sale's card amount against its purchase transaction's wallet posting."""
    wallet = _wallet_postings()
    rows = session.execute(
        select(
            Sale.sale_no,
            Sale.paid_card_fen,
            Sale.account_id,
            Sale.ledger_txn_id,
            LedgerTransaction.kind,
            LedgerTransaction.idem_key,
            wallet.c.account_id,
            wallet.c.fen,
        )
        .outerjoin(LedgerTransaction, LedgerTransaction.id == Sale.ledger_txn_id)
        .outerjoin(wallet, wallet.c.txn_id == Sale.ledger_txn_id)
        .where(or_(Sale.paid_card_fen != 0, Sale.ledger_txn_id.is_not(None)))
        .order_by(Sale.id)
        .execution_options(yield_per=1000)
    )
    return _problems(rows, "销售单", "purchase", "sale", -1, limit)


def card_refunds(session: Session, limit: int = 50) -> list[str]:
    """Each refund's card amount against its refund transaction's wallet posting."""
    wallet = _wallet_postings()
    rows = session.execute(
        select(
            Refund.refund_no,
            Refund.card_fen,
            Sale.account_id,
            Refund.ledger_txn_id,
            LedgerTransaction.kind,
            LedgerTransaction.idem_key,
            wallet.c.account_id,
            wallet.c.fen,
        )
        .join(Sale, Sale.id == Refund.sale_id)
        .outerjoin(LedgerTransaction, LedgerTransaction.id == Refund.ledger_txn_id)
        .outerjoin(wallet, wallet.c.txn_id == Refund.ledger_txn_id)
        .where(or_(Refund.card_fen != 0, Refund.ledger_txn_id.is_not(None)))
        .order_by(Refund.id)
        .execution_options(yield_per=1000)
    )
    return _problems(rows, "退货单", "refund", "refund", 1, limit)


def ledger_without_sale(session: Session, limit: int = 50) -> list[str]:
    """Card purchases and refunds in the ledger that no sale or refund points at."""
    purchases = session.execute(
        select(LedgerTransaction.seq, LedgerTransaction.kind, LedgerTransaction.idem_key)
        .where(
            LedgerTransaction.kind == "purchase",
            ~select(Sale.id).where(Sale.ledger_txn_id == LedgerTransaction.id).exists(),
        )
        .order_by(LedgerTransaction.seq)
        .limit(limit)
    ).all()
    refunds = session.execute(
        select(LedgerTransaction.seq, LedgerTransaction.kind, LedgerTransaction.idem_key)
        .where(
            LedgerTransaction.kind == "refund",
            ~select(Refund.id).where(Refund.ledger_txn_id == LedgerTransaction.id).exists(),
        )
        .order_by(LedgerTransaction.seq)
        .limit(limit)
    ).all()
    label = {"purchase": "卡消费", "refund": "卡退款"}
    return [
        f"账本交易 #{seq}（{label[kind]} {key or ''}）没有对应的{'销售单' if kind == 'purchase' else '退货单'}"
        for seq, kind, key in [*purchases, *refunds]
    ]


def sale_totals(session: Session, limit: int = 50) -> list[str]:
    """A sale's totals against the sums of its lines, and its tenders against its total."""
    lines = (
        select(
            SaleLine.sale_id,
            func.sum(SaleLine.total_fen).label("total"),
            func.sum(SaleLine.list_total_fen).label("list_total"),
            func.sum(SaleLine.discount_fen).label("discount"),
        )
        .group_by(SaleLine.sale_id)
        .subquery()
    )
    total = func.coalesce(lines.c.total, 0)
    list_total = func.coalesce(lines.c.list_total, 0)
    discount = func.coalesce(lines.c.discount, 0)
    tendered = Sale.paid_card_fen + Sale.paid_qr_fen + Sale.paid_cash_fen - Sale.change_fen
    rows = session.execute(
        select(
            Sale.sale_no,
            Sale.total_fen,
            Sale.list_total_fen,
            Sale.discount_total_fen,
            Sale.paid_card_fen,
            Sale.paid_qr_fen,
            Sale.paid_cash_fen,
            Sale.change_fen,
            total,
            list_total,
            discount,
        )
        .outerjoin(lines, lines.c.sale_id == Sale.id)
        .where(
            or_(
                Sale.total_fen != total,
                Sale.list_total_fen != list_total,
                Sale.discount_total_fen != discount,
                Sale.total_fen != tendered,
                Sale.change_fen < 0,
                Sale.paid_card_fen < 0,
                Sale.paid_qr_fen < 0,
                Sale.paid_cash_fen < 0,
            )
        )
        .order_by(Sale.id)
        .limit(limit)
    ).all()
    problems = []
    for no, t, lt, d, card, qr, cash, change, line_t, line_lt, line_d in rows:
        if t != line_t:
            problems.append(f"销售单 {no} 的合计 {Money(t)} 不等于各行之和 {Money(int(line_t))}")
        if lt != line_lt:
            problems.append(
                f"销售单 {no} 的标价合计 {Money(lt)} 不等于各行之和 {Money(int(line_lt))}"
            )
        if d != line_d:
            problems.append(
                f"销售单 {no} 的优惠合计 {Money(d)} 不等于各行之和 {Money(int(line_d))}"
            )
        if t != card + qr + cash - change or min(card, qr, cash, change) < 0:
            problems.append(
                f"销售单 {no} 的合计 {Money(t)} 不等于付款之和：卡 {Money(card)} + 扫码 "
                f"{Money(qr)} + 现金 {Money(cash)} - 找零 {Money(change)} = "
                f"{Money(card + qr + cash - change)}"
            )
    return problems


def refund_totals(session: Session, limit: int = 50) -> list[str]:
    """A refund's money back (card and cash) against the sum of its lines."""
    lines = (
        select(RefundLine.refund_id, func.sum(RefundLine.amount_fen).label("total"))
        .group_by(RefundLine.refund_id)
        .subquery()
    )
    total = func.coalesce(lines.c.total, 0)
    rows = session.execute(
        select(Refund.refund_no, Refund.card_fen, Refund.qr_fen, Refund.cash_fen, total)
        .outerjoin(lines, lines.c.refund_id == Refund.id)
        .where(Refund.card_fen + Refund.qr_fen + Refund.cash_fen != total)
        .order_by(Refund.id)
        .limit(limit)
    ).all()
    return [
        f"退货单 {no} 退回卡 {Money(card)} + 扫码 {Money(qr)} + 现金 {Money(cash)}，"
        f"不等于各行之和 {Money(int(t))}"
        for no, card, qr, cash, t in rows
    ]
