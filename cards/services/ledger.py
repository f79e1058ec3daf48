"""The double-entry ledger: every change of a wallet's balance is a transaction whose postings
sum to zero, over wallets (`account_id`) and the bureau's and store's books (`book`).

Rules held here:
- the cached `account.balance_fen` moves in the same database transaction as its postings, by a
  conditional UPDATE (`... WHERE balance_fen >= :amount`, rowcount checked), so no balance goes
  below zero even with many terminals paying from one account at once;
- every transaction carries the hash of the one before (a chain over `seq`), and its own hash
  covers its postings, so a silent edit is detectable (`cards.services.verify`);
- postings and transactions are never updated or deleted (database triggers refuse it);
- a transaction is booked on its business date: the day of `at` in the store's timezone `tz`;
  nothing is booked on or before the end of a closed month (`MonthClosed`; a correction is a new
  posting in the open month, its memo naming the month it corrects);
- a wallet posting keeps the category its person had when the money moved (`category`).

How a wallet's postings read for people is `cards.services.statement`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, text
from sqlalchemy.orm import Session

from cards.models import Account, Beneficiary, LedgerHead, LedgerTransaction, MonthClose, Posting
from core.auth import Actor
from core.errors import Conflict, InsufficientBalance, NotFound, ValidationError
from core.money import Money
from core.periods import local_date

GENESIS = "0" * 64
BOOK_SALES = "sales"
BOOK_LAPSED = "lapsed"
BOOK_ADJUSTMENT = "adjustment"

# One posting as the chain hashes it: (wallet, book, signed fen); exactly one of the first two.
PostingKey = tuple[int | None, str | None, int]


class MonthClosed(Conflict):
    """A posting dated in a month that has been closed."""


def refuse_closed(session: Session, business_date: date) -> None:
    """MonthClosed when `business_date` falls on or before the end of the latest closed month
    (the ledger is sealed up to there)."""
    latest = session.scalar(select(func.max(MonthClose.month)))
    if latest is not None and business_date.strftime("%Y-%m") <= latest:
        raise MonthClosed(
            f"{latest} 及以前的月份已结账，不能再记入日期为 {business_date.isoformat()} 的分录；"
            "更正请记入当前未结账的月份，并在摘要中注明所更正的月份"
        )


def wallet_category(session: Session, account_id: int) -> str | None:
    """The roster category a wallet's person has now (what its next posting keeps)."""
    return session.scalar(
        select(Beneficiary.category)
        .join(Account, Account.beneficiary_id == Beneficiary.id)
        .where(Account.id == account_id)
    )


def fund_book(category: str) -> str:
    """The bureau's fund for one roster category."""
    return f"fund:{category}"


# --- the chain -------------------------------------------------------------------------------


def lock_head(session: Session) -> LedgerHead:
    """The chain's head, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite already
    holds the write lock from BEGIN IMMEDIATE). Every ledger write takes it first."""
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
    postings: Iterable[PostingKey],
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


def append_txn(
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
    postings: Sequence[PostingKey],
) -> LedgerTransaction:
    """Append a transaction row (postings are written by the caller), move the locked head."""
    if sum(p[2] for p in postings) != 0:
        raise ValueError("ledger transaction does not balance")
    refuse_closed(session, business_date)
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


def rows_changed(result: object) -> int:
    """The rowcount of an UPDATE run through `session.execute` (-1 when the driver cannot tell
    for an executemany)."""
    return cast(CursorResult[Any], result).rowcount


def _debit_wallet(session: Session, account_id: int, amount_fen: int) -> None:
    """Take money from a wallet, never below zero: the UPDATE matches no row otherwise."""
    result = session.execute(
        text(
            "UPDATE account SET balance_fen = balance_fen - :amount "
            "WHERE id = :id AND balance_fen >= :amount"
        ),
        {"id": account_id, "amount": amount_fen},
    )
    if rows_changed(result) != 1:
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
    if rows_changed(result) != 1:
        raise NotFound(f"账户 {account_id} 不存在")


def refresh_balances(session: Session) -> None:
    """Wallets loaded before a set-based UPDATE re-read their balance on next access."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Account):
            session.expire(obj, ["balance_fen"])


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
    head = lock_head(session)
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
    postings: list[PostingKey] = [(account_id, None, amount.fen), (None, book, -amount.fen)]
    txn = append_txn(
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
    category = wallet_category(session, account_id)
    session.add_all(
        [
            Posting(
                txn_id=txn.id,
                account_id=a,
                book=b,
                amount_fen=f,
                category=category if a is not None else None,
            )
            for a, b, f in postings
        ]
    )
    session.flush()
    return txn.id


# --- what other packages call ----------------------------------------------------------------


def debit_for_sale(
    session: Session,
    account_id: int,
    amount: Money,
    *,
    sale_no: str,
    at: datetime,
    tz: tzinfo,
    actor: Actor,
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
        business_date=local_date(at, tz),
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
    tz: tzinfo,
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
        business_date=local_date(at, tz),
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
    tz: tzinfo,
    actor: Actor,
    business_date: date | None = None,
    idem_key: str | None = None,
) -> int:
    """A bureau user's credit (positive) or debit (negative) of one wallet, with a reason (the
    dual control around it is `cards.services.adjustments`). A replayed `idem_key` posts
    nothing more."""
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
        business_date=business_date or local_date(at, tz),
        idem_key=idem_key,
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
