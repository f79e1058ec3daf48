"""`charity ledger verify` for the cards ledger: every cached balance equals the sum of its
postings, every transaction sums to zero, each hash chain holds under its key (recomputed
transaction by transaction: memory stays bounded by the largest transaction), each head names
its chain's last transaction, and no account is credited twice for one month, read from the
ledger's own top-up postings (not only from `topup_credit`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import Account, LedgerTransaction, Posting, TopUpCredit
from cards.services.chain import chains, head_problems, key_problems, walk
from core.checks import CheckResult
from core.keys import DataKeys
from core.money import Money


def verify_ledger(session: Session, keys: DataKeys, *, limit: int = 50) -> CheckResult:
    """Every check of the cards ledger; problems are named (at most `limit` of each kind)."""
    problems: list[str] = []
    problems += _balances(session, limit)
    problems += _unbalanced(session, limit)
    txn_count = 0
    for name in chains(session):
        checked = walk(session, keys, chain=name, limit=limit)
        txn_count += checked.count
        problems += checked.problems
        problems += head_problems(session, checked, chain=name)
        problems += key_problems(session, keys, chain=name)
    problems += topup_twice(session, limit)
    problems += topup_unregistered(session, limit)
    postings = session.scalar(select(func.count()).select_from(Posting)) or 0
    accounts = session.scalar(select(func.count()).select_from(Account)) or 0
    summary = f"账本：{txn_count} 笔交易、{postings} 条分录、{accounts} 个账户" + (
        "，核对通过" if not problems else f"，发现 {len(problems)} 处问题"
    )
    return CheckResult(summary=summary, problems=problems)


def _balances(session: Session, limit: int) -> list[str]:
    sums = (
        select(Posting.account_id, func.sum(Posting.amount_fen).label("total"))
        .where(Posting.account_id.is_not(None))
        .group_by(Posting.account_id)
        .subquery()
    )
    mismatched = session.execute(
        select(Account.id, Account.balance_fen, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.balance_fen != func.coalesce(sums.c.total, 0))
        .order_by(Account.id)
        .limit(limit)
    ).all()
    return [
        f"账户 {account_id} 的余额 {Money(cached)} 不等于其分录之和 {Money(int(total))}"
        for account_id, cached, total in mismatched
    ]


def _unbalanced(session: Session, limit: int) -> list[str]:
    unbalanced = session.execute(
        select(LedgerTransaction.chain, LedgerTransaction.seq, func.sum(Posting.amount_fen))
        .join(Posting, Posting.txn_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.id, LedgerTransaction.chain, LedgerTransaction.seq)
        .having(func.sum(Posting.amount_fen) != 0)
        .order_by(LedgerTransaction.seq)
        .limit(limit)
    ).all()
    return [f"交易 #{seq} 借贷不平衡（合计 {Money(int(total))}）" for _, seq, total in unbalanced]


def topup_twice(session: Session, limit: int = 50) -> list[str]:
    """Accounts credited more than once for one month, counted from the ledger's top-up
    postings themselves (a deleted `topup_credit` row does not hide a second credit)."""
    rows = session.execute(
        select(
            Posting.account_id,
            LedgerTransaction.period,
            func.count(Posting.id),
            func.sum(Posting.amount_fen),
        )
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(
            LedgerTransaction.kind == "topup",
            Posting.account_id.is_not(None),
            Posting.amount_fen > 0,
        )
        .group_by(Posting.account_id, LedgerTransaction.period)
        .having(func.count(Posting.id) > 1)
        .order_by(Posting.account_id, LedgerTransaction.period)
        .limit(limit)
    ).all()
    return [
        f"账户 {account_id} 的 {period} 补贴入账 {count} 次（合计 {Money(int(total))}），"
        "每月只应一次"
        for account_id, period, count, total in rows
    ]


def topup_unregistered(session: Session, limit: int = 50) -> list[str]:
    """Top-up postings without their `topup_credit` row (the month's once-only register), and
    register rows without a posting."""
    credited = (
        select(Posting.account_id, LedgerTransaction.period)
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(
            LedgerTransaction.kind == "topup",
            Posting.account_id.is_not(None),
            Posting.amount_fen > 0,
        )
        .subquery()
    )
    missing = session.execute(
        select(credited.c.account_id, credited.c.period)
        .where(
            ~select(TopUpCredit.id)
            .where(
                TopUpCredit.account_id == credited.c.account_id,
                TopUpCredit.month == credited.c.period,
            )
            .exists()
        )
        .order_by(credited.c.account_id)
        .limit(limit)
    ).all()
    problems = [
        f"账户 {account_id} 的 {period} 补贴已入账，但充值登记（topup_credit）中没有这一笔"
        for account_id, period in missing
    ]
    orphans = session.execute(
        select(TopUpCredit.account_id, TopUpCredit.month)
        .where(
            ~select(credited.c.account_id)
            .where(
                credited.c.account_id == TopUpCredit.account_id,
                credited.c.period == TopUpCredit.month,
            )
            .exists()
        )
        .order_by(TopUpCredit.account_id)
        .limit(limit)
    ).all()
    problems += [
        f"充值登记中账户 {account_id} 的 {month} 补贴在账本中没有对应的入账分录"
        for account_id, month in orphans
    ]
    return problems
