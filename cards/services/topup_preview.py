"""What a month's top-up run would credit, before it is made: the eligible accounts (active,
in a configured category) with their category's amount, who is new, gone or changed since last
month. Also the months a run may be made for."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import Case, Select, case, select
from sqlalchemy.orm import Session

from cards.models import Account, Beneficiary, TopUpCredit
from core.config import Settings
from core.errors import ValidationError
from core.money import Money
from core.periods import Month


def parse_month(text_value: str, *, at: datetime, settings: Settings) -> Month:
    """A YYYY-MM month no further than one month ahead of `at`."""
    month = Month.parse(text_value)
    current = Month.of(at, settings.tz)
    if month > current.next():
        raise ValidationError(
            f"月份 {month} 太远：最多只能为下个月（{current.next()}）充值，当前为 {current}"
        )
    return month


def month_of(at: datetime, settings: Settings) -> Month:
    """The month of an instant in store time."""
    return Month.of(at, settings.tz)


@dataclass
class TopUpPreview:
    """What a run would credit (stored with the run as JSON, shown on the page and the CLI)."""

    month: str
    people: int = 0
    amount_fen: int = 0
    by_category: dict[str, list[int]] = field(default_factory=dict)  # category: [people, fen]
    already_credited: int = 0
    joined: list[str] = field(default_factory=list)  # "name id" of people new since last month
    left: list[str] = field(default_factory=list)
    amount_changed: list[str] = field(default_factory=list)
    previous_month: str = ""
    previous_people: int = 0
    previous_amount_fen: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> TopUpPreview:
        return cls(**json.loads(data))

    def lines(self, *, limit: int = 10) -> list[str]:
        out = [
            f"{self.month} 月充值预览：{self.people} 人，合计 {Money(self.amount_fen).format()}",
        ]
        for category, (people, fen) in sorted(self.by_category.items()):
            out.append(f"  {category}：{people} 人，{Money(fen).format()}")
        if self.already_credited:
            out.append(f"  本月已充值过的 {self.already_credited} 人不会重复充值")
        out.append(
            f"与上月（{self.previous_month}：{self.previous_people} 人，"
            f"{Money(self.previous_amount_fen).format()}）相比：新增 {len(self.joined)} 人，"
            f"减少 {len(self.left)} 人，金额变化 {len(self.amount_changed)} 人"
        )
        for title, items in (
            ("新增", self.joined),
            ("减少", self.left),
            ("金额变化", self.amount_changed),
        ):
            if items:
                shown = "、".join(items[:limit]) + (
                    f" 等 {len(items)} 人" if len(items) > limit else ""
                )
                out.append(f"  {title}：{shown}")
        return out


def _amount_case(settings: Settings) -> Case[int]:
    """SQL: the monthly amount for a beneficiary's category."""
    allowance = settings.allowance
    whens = [
        (Beneficiary.category == category, allowance.amount_for(category).fen)
        for category in allowance.categories
    ]
    return case(*whens, else_=allowance.monthly.fen)


def eligible(settings: Settings) -> Select[tuple[int, str, int]]:
    """SQL: (account id, category, monthly amount in fen) of every account a run credits."""
    return (
        select(Account.id, Beneficiary.category, _amount_case(settings).label("amount"))
        .join(Beneficiary, Beneficiary.id == Account.beneficiary_id)
        .where(
            Beneficiary.status == "active",
            Beneficiary.category.in_(settings.allowance.categories),
        )
    )


def preview(session: Session, settings: Settings, month: Month) -> TopUpPreview:
    """What a run for `month` would credit now, and how it differs from last month."""
    result = TopUpPreview(month=str(month), previous_month=str(month.previous()))
    credited = {
        a: fen
        for a, fen in session.execute(
            select(TopUpCredit.account_id, TopUpCredit.amount_fen).where(
                TopUpCredit.month == str(month)
            )
        )
    }
    last = {
        a: fen
        for a, fen in session.execute(
            select(TopUpCredit.account_id, TopUpCredit.amount_fen).where(
                TopUpCredit.month == str(month.previous())
            )
        )
    }
    result.previous_people = len(last)
    result.previous_amount_fen = sum(last.values())
    accounts: dict[int, tuple[str, int]] = {}
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for account_id, category, amount in session.execute(eligible(settings)):
        accounts[account_id] = (category, amount)
        if account_id in credited:
            result.already_credited += 1
            continue
        result.people += 1
        result.amount_fen += amount
        by_category[category][0] += 1
        by_category[category][1] += amount
    result.by_category = dict(by_category)
    joined = [a for a in accounts if a not in last]
    left = [a for a in last if a not in accounts]
    changed = [a for a, (_, amount) in accounts.items() if a in last and last[a] != amount]
    names = _names(session, joined + left + changed)
    result.joined = [names[a] for a in joined]
    result.left = [names[a] for a in left]
    result.amount_changed = [
        f"{names[a]} {Money(last[a])}→{Money(accounts[a][1])}" for a in changed
    ]
    return result


def _names(session: Session, account_ids: list[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    out: dict[int, str] = {}
    wanted = set(account_ids)
    for account_id, name, person_id in session.execute(
        select(Account.id, Beneficiary.name, Beneficiary.id).join(
            Beneficiary, Beneficiary.id == Account.beneficiary_id
        )
    ):
        if account_id in wanted:  # the ID number is encrypted: the register's own number
            out[account_id] = f"{name}（编号 {person_id}）"
    return out
