"""`charity ledger verify` for the cards ledger: every cached balance equals the sum of its
postings, every transaction sums to zero, the hash chain holds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import Account, LedgerHead, LedgerTransaction, Posting
from cards.services.ledger import GENESIS, PostingKey, txn_hash
from cards.services.statement import KIND_LABELS
from core.checks import CheckResult
from core.money import Money


def verify_ledger(session: Session, *, limit: int = 50) -> CheckResult:
    """Every cached balance equals the sum of its postings, every transaction sums to zero, the
    hash chain holds. Problems are named (at most `limit` of each kind)."""
    problems: list[str] = []
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
    for account_id, cached, total in mismatched:
        problems.append(
            f"账户 {account_id} 的余额 {Money(cached)} 不等于其分录之和 {Money(int(total))}"
        )
    unbalanced = session.execute(
        select(LedgerTransaction.seq, func.sum(Posting.amount_fen))
        .join(Posting, Posting.txn_id == LedgerTransaction.id)
        .group_by(LedgerTransaction.seq)
        .having(func.sum(Posting.amount_fen) != 0)
        .limit(limit)
    ).all()
    for seq, total in unbalanced:
        problems.append(f"交易 #{seq} 借贷不平衡（合计 {Money(int(total))}）")
    txn_count, chain_problems = _verify_chain(session, limit=limit)
    problems.extend(chain_problems)
    postings = session.scalar(select(func.count()).select_from(Posting)) or 0
    accounts = session.scalar(select(func.count()).select_from(Account)) or 0
    summary = f"账本：{txn_count} 笔交易、{postings} 条分录、{accounts} 个账户" + (
        "，核对通过" if not problems else f"，发现 {len(problems)} 处问题"
    )
    return CheckResult(summary=summary, problems=problems)


def _verify_chain(session: Session, *, limit: int) -> tuple[int, list[str]]:
    problems: list[str] = []
    postings_by_txn: dict[int, list[PostingKey]] = {}
    for txn_id, account_id, book, amount in session.execute(
        select(Posting.txn_id, Posting.account_id, Posting.book, Posting.amount_fen)
    ):
        postings_by_txn.setdefault(txn_id, []).append((account_id, book, amount))
    previous = GENESIS
    expected_seq = 1
    count = 0
    for txn in session.scalars(select(LedgerTransaction).order_by(LedgerTransaction.seq)):
        count += 1
        if len(problems) >= limit:
            continue
        if txn.seq != expected_seq:
            problems.append(f"交易序号不连续：应为 #{expected_seq}，实为 #{txn.seq}")
        if txn.prev_hash != previous:
            problems.append(f"交易 #{txn.seq} 的前一哈希与链不符（链被改动或有交易被删除）")
        digest = txn_hash(
            prev_hash=txn.prev_hash,
            seq=txn.seq,
            kind=txn.kind,
            business_date=txn.business_date,
            period=txn.period,
            idem_key=txn.idem_key,
            memo=txn.memo,
            at=txn.at,
            actor_name=txn.actor_name,
            postings=postings_by_txn.get(txn.id, []),
        )
        if digest != txn.hash:
            problems.append(
                f"交易 #{txn.seq}（{KIND_LABELS.get(txn.kind, txn.kind)}）的内容或分录被改动（哈希不符）"
            )
        previous = txn.hash
        expected_seq = txn.seq + 1
    head = session.get(LedgerHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != previous):
        problems.append(f"账本链头（#{head.seq}）与最后一笔交易（#{expected_seq - 1}）不符")
    return count, problems
