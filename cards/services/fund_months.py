"""The money of the cards month by month (the office's trend page and its chart): credited
(top-ups), spent (card purchases less refunds), lapsed (expired balances) and adjusted, per month
of business date, from the wallets' ledger postings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import LedgerTransaction, Posting
from core.money import Money
from core.periods import Month


@dataclass
class MonthFlows:
    """One month's wallet flows, each shown positive (fen)."""

    month: Month
    credited_fen: int = 0
    spent_fen: int = 0
    lapsed_fen: int = 0
    adjusted_fen: int = 0  # signed: adjustments and kinds added later

    @property
    def credited(self) -> Money:
        return Money(self.credited_fen)

    @property
    def spent(self) -> Money:
        return Money(self.spent_fen)

    @property
    def lapsed(self) -> Money:
        return Money(self.lapsed_fen)

    @property
    def adjusted(self) -> Money:
        return Money(self.adjusted_fen)


def month_flows(session: Session, last: Month, *, months: int = 12) -> list[MonthFlows]:
    """The `months` months ending with `last`, oldest first (a month with no postings: zeros)."""
    first = last.plus(-(months - 1))
    flows = {str(first.plus(i)): MonthFlows(first.plus(i)) for i in range(months)}
    rows = session.execute(
        select(
            LedgerTransaction.business_date, LedgerTransaction.kind, func.sum(Posting.amount_fen)
        )
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(
            Posting.account_id.is_not(None),
            LedgerTransaction.business_date.between(first.first_day, last.last_day),
        )
        .group_by(LedgerTransaction.business_date, LedgerTransaction.kind)
    )
    for day, kind, fen in rows:
        target = flows[str(Month.of_date(day))]
        amount = int(fen or 0)
        if kind == "topup":
            target.credited_fen += amount
        elif kind in ("purchase", "refund"):
            target.spent_fen -= amount  # purchases are negative postings, refunds positive
        elif kind == "expiry":
            target.lapsed_fen -= amount
        else:
            target.adjusted_fen += amount
    return list(flows.values())
