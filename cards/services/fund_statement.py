"""The bureau's monthly fund statement (contract "The fund statement"): per category and in
total, people credited, opening balance, credited, spent, refunded, lapsed, adjustments and
closing balance, from the wallet postings by their business date in store time and under the
category each posting kept (so a later change of category never restates a month); the card
sales' figures per store and the clothing handed out come from the host (`cards.hooks`).

`balanced` says that `opening + credited - spent + refunded - lapsed + adjustments = closing`
holds for every category, where the closing is the sum of the postings up to the month's end,
and that the total closing equals the sum of the card balances at the month's end (today's
balances less what was posted after). A closed month's statement is the one stored when it was
closed (`cards.services.month_close`); the next month's opening is a lookup of it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.hooks import CardsHooks, SalesFigures, StoreSales
from cards.models import Account, LedgerTransaction, MonthClose, Posting
from core.config import Settings
from core.errors import ValidationError
from core.money import Money
from core.periods import Month, PeriodError

UNKNOWN_CATEGORY = "未分类"
MONEY_KEYS = ("opening", "credited", "spent", "refunded", "lapsed", "adjustments", "closing")
FIELD_BY_KIND = {
    "topup": "credited",
    "purchase": "spent",
    "refund": "refunded",
    "expiry": "lapsed",
    "adjustment": "adjustments",
}
OUTFLOWS = ("purchase", "expiry")  # shown positive, taken from the wallets


@dataclass
class Figures:
    """One category's (or the total's) figures, in fen; spending and lapses positive."""

    people: int = 0
    opening: int = 0
    credited: int = 0
    spent: int = 0
    refunded: int = 0
    lapsed: int = 0
    adjustments: int = 0
    closing: int = 0

    @property
    def expected_closing(self) -> int:
        """What the identity says the closing must be."""
        return (
            self.opening
            + self.credited
            - self.spent
            + self.refunded
            - self.lapsed
            + self.adjustments
        )

    def add(self, other: Figures) -> None:
        for key in ("people", *MONEY_KEYS):
            setattr(self, key, getattr(self, key) + getattr(other, key))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"people": self.people}
        for key in MONEY_KEYS:
            out[key] = str(Money(getattr(self, key)))
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        return cls(
            people=int(data["people"]),
            **{key: Money.parse(str(data[key])).fen for key in MONEY_KEYS},
        )


@dataclass
class FundStatement:
    """A month's statement; `to_json` is the contract's json exactly. `difference_fen` is how
    far the identity and the card balances miss (0 when balanced); `seal` the closed month's."""

    month: str
    closed: bool
    balanced: bool
    total: Figures
    categories: dict[str, Figures]
    stores: dict[str, StoreSales]
    charity_discount_fen: int = 0
    purchases: int = 0
    shoppers: int = 0
    clothing_items: int = 0
    identity_difference_fen: int = 0
    balance_difference_fen: int = 0
    seal: str = ""
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "closed": self.closed,
            "balanced": self.balanced,
            "total": self.total.to_json(),
            "categories": {c: f.to_json() for c, f in self.categories.items()},
            "stores": {
                code: {
                    "spent": str(Money(s.spent_fen)),
                    "refunded": str(Money(s.refunded_fen)),
                    "purchases": s.purchases,
                }
                for code, s in self.stores.items()
            },
            "charity_discount": str(Money(self.charity_discount_fen)),
            "purchases": self.purchases,
            "shoppers": self.shoppers,
            "clothing_items": self.clothing_items,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], *, seal: str = "") -> FundStatement:
        """A stored statement read back (what `to_json` wrote)."""
        return cls(
            month=str(data["month"]),
            closed=bool(data["closed"]),
            balanced=bool(data["balanced"]),
            total=Figures.from_json(data["total"]),
            categories={c: Figures.from_json(f) for c, f in data["categories"].items()},
            stores={
                code: StoreSales(
                    Money.parse(str(s["spent"])).fen,
                    Money.parse(str(s["refunded"])).fen,
                    int(s["purchases"]),
                )
                for code, s in data["stores"].items()
            },
            charity_discount_fen=Money.parse(str(data["charity_discount"])).fen,
            purchases=int(data["purchases"]),
            shoppers=int(data["shoppers"]),
            clothing_items=int(data["clothing_items"]),
            seal=seal,
        )

    @property
    def balance_line(self) -> str:
        """平衡, or what does not balance, in one line."""
        if self.balanced:
            return "平衡"
        parts = []
        if self.identity_difference_fen:
            parts.append(
                f"期初+充值-消费+退款-过期+调整 与期末相差 "
                f"{Money(self.identity_difference_fen).format()}"
            )
        if self.balance_difference_fen:
            parts.append(
                f"期末与月末卡内余额合计相差 {Money(self.balance_difference_fen).format()}"
            )
        return "不平衡：" + "；".join(parts or self.problems)


def report_month(text: str, *, at: datetime, settings: Settings) -> Month:
    """The month of a statement asked for: YYYY-MM, no later than next month (store time)."""
    try:
        month = Month.parse(text.strip())
    except PeriodError as exc:
        raise ValidationError(f"月份应为 YYYY-MM（如 2026-11），实际为 {text!r}：{exc}") from None
    latest = Month.of(at, settings.tz).next()
    if month > latest:
        raise ValidationError(f"月份 {month} 还没有到：最多只能看到 {latest} 的月报")
    return month


def _category(value: str | None) -> str:
    return value or UNKNOWN_CATEGORY


def stored_close(session: Session, month: Month) -> MonthClose | None:
    """The close record of `month`, if it was closed."""
    return session.scalar(select(MonthClose).where(MonthClose.month == str(month)))


def _openings(session: Session, month: Month) -> dict[str, int]:
    """Each category's opening: the previous month's stored closing when it was closed (a
    lookup), else the sum of the wallet postings dated before the month."""
    previous = stored_close(session, month.previous())
    if previous is not None:
        data = json.loads(previous.statement_json)
        return {c: Money.parse(str(f["closing"])).fen for c, f in data["categories"].items()}
    rows = session.execute(
        select(Posting.category, func.sum(Posting.amount_fen))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(Posting.account_id.is_not(None), LedgerTransaction.business_date < month.first_day)
        .group_by(Posting.category)
    )
    return {_category(c): int(fen or 0) for c, fen in rows}


def compute_statement(
    session: Session, settings: Settings, month: Month, hooks: CardsHooks
) -> FundStatement:
    """The month's statement computed from the ledger now (never the stored one)."""
    tz: tzinfo = settings.tz
    start, end = month.first_day, month.last_day
    categories: dict[str, Figures] = {c: Figures() for c in settings.allowance.categories}

    def row(category: str | None) -> Figures:
        return categories.setdefault(_category(category), Figures())

    for category, fen in _openings(session, month).items():
        row(category).opening = fen
    wallet = Posting.account_id.is_not(None)
    in_month = LedgerTransaction.business_date.between(start, end)
    flows = session.execute(
        select(Posting.category, LedgerTransaction.kind, func.sum(Posting.amount_fen))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(wallet, in_month)
        .group_by(Posting.category, LedgerTransaction.kind)
    )
    for category, kind, fen in flows:
        target = row(category)
        name = FIELD_BY_KIND.get(kind, "adjustments")  # a kind added later counts as adjustment
        amount = -int(fen) if kind in OUTFLOWS else int(fen)
        setattr(target, name, getattr(target, name) + amount)
    topped = (
        select(Posting.category, Posting.account_id)
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(wallet, in_month, LedgerTransaction.kind == "topup")
        .subquery()
    )
    people = session.execute(
        select(topped.c.category, func.count(func.distinct(topped.c.account_id))).group_by(
            topped.c.category
        )
    )
    for category, count in people:
        row(category).people = int(count)
    closings = session.execute(
        select(Posting.category, func.sum(Posting.amount_fen))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(wallet, LedgerTransaction.business_date <= end)
        .group_by(Posting.category)
    )
    for category, fen in closings:
        row(category).closing = int(fen or 0)
    total = Figures()
    for figures in categories.values():
        total.add(figures)
    total.people = int(session.scalar(select(func.count(func.distinct(topped.c.account_id)))) or 0)
    later = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_fen), 0))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.txn_id)
        .where(wallet, LedgerTransaction.business_date > end)
    )
    balances_now = session.scalar(select(func.coalesce(func.sum(Account.balance_fen), 0)))
    balances_at_end = int(balances_now or 0) - int(later or 0)
    identity_miss = sum(abs(f.expected_closing - f.closing) for f in categories.values())
    balance_miss = total.closing - balances_at_end
    begin_at, end_at = month.start(tz), month.end(tz)
    sales = (
        hooks.sales_figures(session, begin_at, end_at)
        if hooks.sales_figures is not None
        else SalesFigures()
    )
    clothing = hooks.clothing_given(session, begin_at, end_at) if hooks.clothing_given else 0
    return FundStatement(
        month=str(month),
        closed=False,
        balanced=identity_miss == 0 and balance_miss == 0,
        total=total,
        categories=categories,
        stores=dict(sorted(sales.stores.items())),
        charity_discount_fen=sales.charity_discount_fen,
        purchases=sales.purchases,
        shoppers=sales.shoppers,
        clothing_items=clothing,
        identity_difference_fen=total.expected_closing - total.closing or identity_miss,
        balance_difference_fen=balance_miss,
    )


def fund_statement(
    session: Session, settings: Settings, month: Month, hooks: CardsHooks
) -> FundStatement:
    """The month's statement: the stored one of a closed month (read back identically), else
    computed now."""
    record = stored_close(session, month)
    if record is not None:
        return FundStatement.from_json(json.loads(record.statement_json), seal=record.seal)
    return compute_statement(session, settings, month, hooks)


COLUMNS = (
    ("类别", ""),
    ("充值人数", "people"),
    ("期初余额", "opening"),
    ("本月充值", "credited"),
    ("本月消费", "spent"),
    ("本月退款", "refunded"),
    ("本月过期", "lapsed"),
    ("人工调整", "adjustments"),
    ("期末余额", "closing"),
)


def statement_lines(statement: FundStatement, *, store_name: str) -> list[str]:
    """The statement as lines of text (`charity report fund --format table`)."""
    state = "已结账" if statement.closed else "未结账"
    out = [f"{store_name} 慈善购物卡资金月报 {statement.month}（{state}）"]
    if statement.seal:
        out.append(f"封印：{statement.seal}")
    out.append("  ".join(title for title, _ in COLUMNS))
    for name, figures in [*statement.categories.items(), ("合计", statement.total)]:
        cells = [name, str(figures.people)]
        cells += [str(Money(getattr(figures, key))) for _, key in COLUMNS[2:]]
        out.append("  ".join(cells))
    out.append("门店  卡消费  卡退款  购物笔数")
    for code, store in statement.stores.items():
        out.append(
            f"{code}  {Money(store.spent_fen)}  {Money(store.refunded_fen)}  {store.purchases}"
        )
    out.append(
        f"慈善让利 {Money(statement.charity_discount_fen)}  购物笔数 {statement.purchases}  "
        f"购物人数 {statement.shoppers}  发放衣物 {statement.clothing_items} 件"
    )
    out.append(statement.balance_line)
    return out
