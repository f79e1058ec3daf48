"""The bureau's monthly fund statement of the cards: by category, opening balance, credited,
spent, refunded, lapsed, adjusted and closing balance (wallet postings by their business date in
store time; top-ups by their month). Its Excel form is `cards.services.fund_xlsx`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import Account, Beneficiary, LedgerTransaction, Posting, TopUpCredit
from core.config import Settings
from core.money import Money
from core.periods import Month


@dataclass
class FundRow:
    """One category's figures for the month (amounts in fen; spending and lapses positive)."""

    category: str
    people: int = 0
    opening_fen: int = 0
    credited_fen: int = 0
    spent_fen: int = 0
    refunded_fen: int = 0
    lapsed_fen: int = 0
    adjusted_fen: int = 0
    closing_fen: int = 0


@dataclass
class FundReport:
    """The month's rows by category and their total."""

    month: str
    rows: list[FundRow]
    total: FundRow


def fund_report(session: Session, settings: Settings, month: Month) -> FundReport:
    """For one month, by category: opening balance, credited, spent, refunded, lapsed,
    adjusted, closing balance (wallet postings by their business date; top-ups by their month)."""
    start, end = month.first_day, month.last_day
    base = (
        select(
            Beneficiary.category,
            LedgerTransaction.kind,
            LedgerTransaction.business_date,
            LedgerTransaction.period,
            Posting.amount_fen,
        )
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .join(Account, Account.id == Posting.account_id)
        .join(Beneficiary, Beneficiary.id == Account.beneficiary_id)
    )
    in_month = LedgerTransaction.business_date.between(start, end)
    rows: dict[str, FundRow] = {c: FundRow(c) for c in settings.allowance.categories}

    def row(category: str) -> FundRow:
        return rows.setdefault(category, FundRow(category))

    opening = session.execute(
        select(Beneficiary.category, func.sum(Posting.amount_fen))
        .select_from(Posting)
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .join(Account, Account.id == Posting.account_id)
        .join(Beneficiary, Beneficiary.id == Account.beneficiary_id)
        .where(LedgerTransaction.business_date < start)
        .group_by(Beneficiary.category)
    )
    for category, fen in opening:
        row(category).opening_fen = int(fen or 0)
    fields_by_kind = {
        "topup": "credited_fen",
        "purchase": "spent_fen",
        "refund": "refunded_fen",
        "expiry": "lapsed_fen",
        "adjustment": "adjusted_fen",
    }
    for category, kind, _, _, fen in session.execute(base.where(in_month)):
        target = row(category)
        name = fields_by_kind[kind]
        amount = -fen if kind in ("purchase", "expiry") else fen
        setattr(target, name, getattr(target, name) + amount)
    credited_people = session.execute(
        select(TopUpCredit.category, func.count())
        .where(TopUpCredit.month == str(month))
        .group_by(TopUpCredit.category)
    )
    for category, count in credited_people:
        row(category).people = count
    total = FundRow("合计")
    for r in rows.values():
        r.closing_fen = (
            r.opening_fen
            + r.credited_fen
            - r.spent_fen
            + r.refunded_fen
            - r.lapsed_fen
            + r.adjusted_fen
        )
        for name in (
            "people",
            "opening_fen",
            "credited_fen",
            "spent_fen",
            "refunded_fen",
            "lapsed_fen",
            "adjusted_fen",
            "closing_fen",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return FundReport(str(month), list(rows.values()), total)


REPORT_COLUMNS = (
    ("类别", "category"),
    ("充值人数", "people"),
    ("期初余额", "opening_fen"),
    ("本月充值", "credited_fen"),
    ("本月消费", "spent_fen"),
    ("本月退款", "refunded_fen"),
    ("本月过期", "lapsed_fen"),
    ("人工调整", "adjusted_fen"),
    ("期末余额", "closing_fen"),
)


def report_lines(report: FundReport) -> list[str]:
    """The statement as lines of text (the command line prints them)."""
    out = [f"{report.month} 慈善购物卡资金月报"]
    out.append("  ".join(title for title, _ in REPORT_COLUMNS))
    for r in [*report.rows, report.total]:
        cells = []
        for _, name in REPORT_COLUMNS:
            value = getattr(r, name)
            cells.append(str(Money(value)) if name.endswith("_fen") else str(value))
        out.append("  ".join(cells))
    return out
