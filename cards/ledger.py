"""The double-entry ledger: every change of a wallet's balance is a transaction whose postings
sum to zero, over wallets (`account_id`) and the bureau's and store's books (`book`).

Rules held here:
- the cached `account.balance_fen` moves in the same database transaction as its postings, by a
  conditional UPDATE (`... WHERE balance_fen >= :amount`, rowcount checked), so no balance goes
  below zero even with many terminals paying from one account at once;
- every transaction carries the hash of the one before (a chain over `seq`), and its own hash
  covers its postings, so a silent edit is detectable (`verify`);
- postings and transactions are never updated or deleted (database triggers refuse it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from cards.models import Account, LedgerHead, LedgerTransaction, Posting
from core.auth import Actor
from core.checks import CheckResult
from core.errors import InsufficientBalance, NotFound, ValidationError
from core.money import Money

GENESIS = "0" * 64
# The business day of a sale or refund (callers pass the instant only); the store's timezone.
STORE_TZ = ZoneInfo("Asia/Shanghai")
BOOK_SALES = "sales"
BOOK_LAPSED = "lapsed"
BOOK_ADJUSTMENT = "adjustment"
KIND_LABELS = {
    "topup": "补贴",
    "purchase": "超市购物",
    "refund": "购物退款",
    "expiry": "余额过期",
    "adjustment": "人工调整",
}


def fund_book(category: str) -> str:
    """The bureau's fund for one roster category."""
    return f"fund:{category}"


@dataclass(frozen=True)
class LedgerLine:
    """One posting on a wallet, for people: when, what, how much (signed)."""

    at: datetime
    kind: str
    label: str
    amount: Money
    business_date: date | None = None
    txn_id: int | None = None
    memo: str = ""


@dataclass(frozen=True)
class StatementLine:
    line: LedgerLine
    balance: Money


# --- the chain -------------------------------------------------------------------------------


def _lock_head(session: Session) -> LedgerHead:
    """The chain's head, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite already
    holds the write lock from BEGIN IMMEDIATE)."""
    query = select(LedgerHead).where(LedgerHead.id == 1).with_for_update()
    head = session.scalar(query)
    if head is None:
        session.execute(
            text(
                "INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, :h) "
                "ON CONFLICT (id) DO NOTHING"
            ),
            {"h": GENESIS},
        )
        head = session.scalar(query.execution_options(populate_existing=True))
        assert head is not None
    return head


def _posting_key(account_id: int | None, book: str | None, amount_fen: int) -> str:
    return f"a{account_id}:{amount_fen}" if account_id is not None else f"b{book}:{amount_fen}"


def txn_hash(
    *,
    prev_hash: str,
    seq: int,
    kind: str,
    business_date: date,
    period: str,
    idem_key: str | None,
    memo: str,
    at: datetime,
    actor_name: str,
    postings: Iterable[tuple[int | None, str | None, int]],
) -> str:
    """The hash of a transaction: the previous hash, its fields, its postings (sorted)."""
    digest = hashlib.sha256()
    header = "|".join(
        [
            prev_hash,
            str(seq),
            kind,
            business_date.isoformat(),
            period,
            idem_key or "",
            memo,
            at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds"),
            actor_name,
        ]
    )
    digest.update(header.encode("utf-8"))
    for key in sorted(_posting_key(*p) for p in postings):
        digest.update(b"\n" + key.encode("utf-8"))
    return digest.hexdigest()


def _append_txn(
    session: Session,
    head: LedgerHead,
    *,
    kind: str,
    business_date: date,
    period: str = "",
    idem_key: str | None,
    memo: str,
    at: datetime,
    actor: Actor,
    postings: Sequence[tuple[int | None, str | None, int]],
) -> LedgerTransaction:
    """Append a transaction row (postings are written by the caller), move the head."""
    if sum(p[2] for p in postings) != 0:
        raise ValueError("ledger transaction does not balance")
    seq = head.seq + 1
    digest = txn_hash(
        prev_hash=head.hash,
        seq=seq,
        kind=kind,
        business_date=business_date,
        period=period,
        idem_key=idem_key,
        memo=memo,
        at=at,
        actor_name=actor.name,
        postings=postings,
    )
    txn = LedgerTransaction(
        seq=seq,
        kind=kind,
        business_date=business_date,
        period=period,
        idem_key=idem_key,
        memo=memo,
        at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(txn)
    head.seq = seq
    head.hash = digest
    session.flush()
    return txn


def _debit_wallet(session: Session, account_id: int, amount_fen: int) -> None:
    """Take money from a wallet, never below zero: the UPDATE matches no row otherwise."""
    result = session.execute(
        text(
            "UPDATE account SET balance_fen = balance_fen - :amount "
            "WHERE id = :id AND balance_fen >= :amount"
        ),
        {"id": account_id, "amount": amount_fen},
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        balance = session.scalar(select(Account.balance_fen).where(Account.id == account_id))
        if balance is None:
            raise NotFound(f"账户 {account_id} 不存在")
        raise InsufficientBalance(
            f"卡内余额不足：余额 {Money(balance).format()}，需要 {Money(amount_fen).format()}"
        )


def _credit_wallet(session: Session, account_id: int, amount_fen: int) -> None:
    result = session.execute(
        text("UPDATE account SET balance_fen = balance_fen + :amount WHERE id = :id"),
        {"id": account_id, "amount": amount_fen},
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(f"账户 {account_id} 不存在")


def post_simple(
    session: Session,
    *,
    kind: str,
    account_id: int,
    amount: Money,
    book: str,
    business_date: date,
    idem_key: str | None,
    memo: str,
    at: datetime,
    actor: Actor,
    period: str = "",
) -> int:
    """One wallet against one book: `amount` signed for the wallet (negative = a debit).
    A replayed `idem_key` returns the first transaction's id and changes nothing."""
    head = _lock_head(session)
    if idem_key is not None:
        existing = session.scalar(
            select(LedgerTransaction.id).where(LedgerTransaction.idem_key == idem_key)
        )
        if existing is not None:
            return existing
    if amount.fen < 0:
        _debit_wallet(session, account_id, -amount.fen)
    else:
        _credit_wallet(session, account_id, amount.fen)
    postings = [(account_id, None, amount.fen), (None, book, -amount.fen)]
    txn = _append_txn(
        session,
        head,
        kind=kind,
        business_date=business_date,
        period=period,
        idem_key=idem_key,
        memo=memo,
        at=at,
        actor=actor,
        postings=postings,
    )
    session.add_all(
        [Posting(txn_id=txn.id, account_id=a, book=b, amount_fen=f) for a, b, f in postings]
    )
    session.flush()
    return txn.id


# --- what other packages call ----------------------------------------------------------------


def _business_date(at: datetime) -> date:
    return at.astimezone(STORE_TZ).date()


def debit_for_sale(
    session: Session, account_id: int, amount: Money, *, sale_no: str, at: datetime, actor: Actor
) -> int:
    """Pay `amount` of a sale from a wallet; the ledger transaction id. InsufficientBalance if
    the balance does not cover it (nothing changes then). Replaying a sale_no is a no-op."""
    if amount.fen <= 0:
        raise ValidationError(f"扣款金额必须大于零：{amount}")
    return post_simple(
        session,
        kind="purchase",
        account_id=account_id,
        amount=-amount,
        book=BOOK_SALES,
        business_date=_business_date(at),
        idem_key=f"sale:{sale_no}",
        memo=f"销售单 {sale_no}",
        at=at,
        actor=actor,
    )


def credit_refund(
    session: Session,
    account_id: int,
    amount: Money,
    *,
    sale_no: str,
    refund_no: str,
    at: datetime,
    actor: Actor,
) -> int:
    """Return `amount` of a refunded sale to the wallet; the ledger transaction id."""
    if amount.fen <= 0:
        raise ValidationError(f"退款金额必须大于零：{amount}")
    return post_simple(
        session,
        kind="refund",
        account_id=account_id,
        amount=amount,
        book=BOOK_SALES,
        business_date=_business_date(at),
        idem_key=f"refund:{refund_no}",
        memo=f"销售单 {sale_no} 退款 {refund_no}",
        at=at,
        actor=actor,
    )


def adjust(
    session: Session,
    account_id: int,
    amount: Money,
    *,
    reason: str,
    at: datetime,
    actor: Actor,
    business_date: date | None = None,
) -> int:
    """A bureau user's credit (positive) or debit (negative) of one wallet, with a reason."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("调整必须填写原因")
    if amount.fen == 0:
        raise ValidationError("调整金额不能为零")
    return post_simple(
        session,
        kind="adjustment",
        account_id=account_id,
        amount=amount,
        book=BOOK_ADJUSTMENT,
        business_date=business_date or _business_date(at),
        idem_key=None,
        memo=reason,
        at=at,
        actor=actor,
    )


def balance(session: Session, account_id: int) -> Money:
    """The cached balance of a wallet."""
    fen = session.scalar(select(Account.balance_fen).where(Account.id == account_id))
    if fen is None:
        raise NotFound(f"账户 {account_id} 不存在")
    return Money(fen)


def label_for(kind: str, period: str, memo: str) -> str:
    if kind == "topup" and period:
        return f"{int(period[5:7])}月补贴"
    if kind == "adjustment" and memo:
        return f"人工调整：{memo}"
    return KIND_LABELS.get(kind, kind)


def _lines_query(account_id: int):  # type: ignore[no-untyped-def]
    return (
        select(
            LedgerTransaction.id,
            LedgerTransaction.at,
            LedgerTransaction.kind,
            LedgerTransaction.period,
            LedgerTransaction.memo,
            LedgerTransaction.business_date,
            Posting.amount_fen,
        )
        .join(Posting, Posting.txn_id == LedgerTransaction.id)
        .where(Posting.account_id == account_id)
    )


def _line(row: object) -> LedgerLine:
    txn_id, at, kind, period, memo, business_date, amount_fen = row  # type: ignore[misc]
    return LedgerLine(
        at=at,
        kind=kind,
        label=label_for(kind, period, memo),
        amount=Money(amount_fen),
        business_date=business_date,
        txn_id=txn_id,
        memo=memo,
    )


def recent_entries(session: Session, account_id: int, limit: int = 10) -> list[LedgerLine]:
    """The wallet's latest postings, newest first."""
    rows = session.execute(
        _lines_query(account_id).order_by(LedgerTransaction.seq.desc()).limit(limit)
    )
    return [_line(r) for r in rows]


def last_topup(session: Session, account_id: int) -> LedgerLine | None:
    """The wallet's latest monthly credit, or None."""
    row = session.execute(
        _lines_query(account_id)
        .where(LedgerTransaction.kind == "topup")
        .order_by(LedgerTransaction.seq.desc())
        .limit(1)
    ).first()
    return _line(row) if row is not None else None


def statement(session: Session, account_id: int) -> list[StatementLine]:
    """Every posting of the wallet, oldest first, with the running balance."""
    running = 0
    out: list[StatementLine] = []
    for row in session.execute(_lines_query(account_id).order_by(LedgerTransaction.seq)):
        line = _line(row)
        running += line.amount.fen
        out.append(StatementLine(line, Money(running)))
    return out


# --- verification ----------------------------------------------------------------------------


def verify(session: Session, *, limit: int = 50) -> CheckResult:
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
    postings_by_txn: dict[int, list[tuple[int | None, str | None, int]]] = {}
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
