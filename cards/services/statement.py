"""A wallet's postings as people read them: the latest movements, the last monthly credit, the
full statement with its running balance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from cards.models import LedgerTransaction, Posting
from core.money import Money

KIND_LABELS = {
    "topup": "补贴",
    "purchase": "超市购物",
    "refund": "购物退款",
    "expiry": "余额过期",
    "adjustment": "人工调整",
}

_LineRow = tuple[int, datetime, str, str, str, date, int]


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
    """A statement line and the balance after it."""

    line: LedgerLine
    balance: Money


def label_for(kind: str, period: str, memo: str) -> str:
    """What a transaction is called on a statement ("12月补贴", "人工调整：补发")."""
    if kind == "topup" and period:
        return f"{int(period[5:7])}月补贴"
    if kind == "adjustment" and memo:
        return f"人工调整：{memo}"
    return KIND_LABELS.get(kind, kind)


def _lines_query(account_id: int) -> Select[_LineRow]:
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


def _line(row: Row[_LineRow]) -> LedgerLine:
    txn_id, at, kind, period, memo, business_date, amount_fen = row
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
