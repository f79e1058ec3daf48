"""The lapse of unspent credit under `allowance.unspent = "expire"`: what a wallet keeps is at most
the credits still inside their window; the rest moves to the lapsed book. Top-up runs do it
first; `charity ledger expire` does it alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from cards.models import Account, Beneficiary, LedgerTransaction, Posting
from cards.services import ledger
from cards.services.ledger import PostingKey
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict
from core.money import Money
from core.periods import Month, local_date


@dataclass(frozen=True)
class ExpiryResult:
    """What one expiry booked: how many wallets, how much, in which transaction (None: none)."""

    accounts: int
    amount: Money
    txn_id: int | None


def expire(
    session: Session, settings: Settings, month: Month, *, at: datetime, actor: Actor
) -> ExpiryResult:
    """Under `unspent = "expire"`, move credit older than `expire_after_months` (as of the start
    of `month`) to the lapsed book. Spending is oldest first, so what a wallet keeps is at most
    the credits still inside their window (top-ups for recent months, refunds and positive
    adjustments dated in them); the rest lapses. Running it again books nothing more."""
    allowance = settings.allowance
    if allowance.unspent != "expire":
        return ExpiryResult(0, Money(0), None)
    first_kept = month.plus(-(allowance.expire_after_months - 1))
    kept_since = first_kept.first_day
    recent = (
        select(
            Posting.account_id.label("account_id"),
            func.sum(Posting.amount_fen).label("kept"),
        )
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(
            Posting.account_id.is_not(None),
            Posting.amount_fen > 0,
            ((LedgerTransaction.kind == "topup") & (LedgerTransaction.period >= str(first_kept)))
            | (
                LedgerTransaction.kind.in_(("refund", "adjustment"))
                & (LedgerTransaction.business_date >= kept_since)
            ),
        )
        .group_by(Posting.account_id)
        .subquery()
    )
    head = ledger.lock_head(session)
    rows = session.execute(
        select(Account.id, Account.balance_fen - func.coalesce(recent.c.kept, 0))
        .outerjoin(recent, recent.c.account_id == Account.id)
        .where(Account.balance_fen > func.coalesce(recent.c.kept, 0))
        .order_by(Account.id)
    ).all()
    if not rows:
        return ExpiryResult(0, Money(0), None)
    total = sum(int(lapse) for _, lapse in rows)
    categories: dict[int, str] = {
        a: c
        for a, c in session.execute(
            select(Account.id, Beneficiary.category)
            .join(Beneficiary, Beneficiary.id == Account.beneficiary_id)
            .where(Account.id.in_([a for a, _ in rows]))
        )
    }
    postings: list[PostingKey] = [(a, None, -int(lapse)) for a, lapse in rows]
    postings.append((None, ledger.BOOK_LAPSED, total))
    txn = ledger.append_txn(
        session,
        head,
        kind="expiry",
        business_date=local_date(at, settings.tz),
        period=str(month),
        idem_key=None,
        memo=f"{first_kept.previous().label}及以前的未用补贴过期",
        at=at,
        actor=actor,
        postings=postings,
    )
    result = session.execute(
        text(
            "UPDATE account SET balance_fen = balance_fen - :amount "
            "WHERE id = :id AND balance_fen >= :amount"
        ),
        [{"id": a, "amount": int(lapse)} for a, lapse in rows],
    )
    if ledger.rows_changed(result) not in (len(rows), -1):
        raise Conflict("过期处理时余额发生变化，请重试")
    session.execute(
        insert(Posting),
        [
            {
                "txn_id": txn.id,
                "account_id": a,
                "book": b,
                "amount_fen": f,
                "category": categories.get(a) if a is not None else None,
            }
            for a, b, f in postings
        ],
    )
    session.flush()
    ledger.refresh_balances(session)
    return ExpiryResult(len(rows), Money(total), txn.id)
