"""The bureau's monthly top-up runs, the expiry of unspent credit, and the monthly fund report.

A run is prepared (its preview stored: people, amount, by category, the difference from last
month), then posted, at once with `allowance.approval = "single"`, or after a second bureau user
approves it with "two_person". Posting is set-based SQL: credits are inserted from one SELECT
into `topup_credit`, whose unique key (account, month) makes a month's credit happen once however
often or concurrently runs are made; one ledger transaction carries the run's postings.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, insert, literal, select, text, update
from sqlalchemy.orm import Session

from cards import ledger
from cards.models import (
    Account,
    Beneficiary,
    LedgerTransaction,
    Posting,
    TopUpCredit,
    TopUpRun,
)
from cards.services import mask_id_number
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.money import Money
from core.periods import Month, local_date


def parse_month(text_value: str, *, at: datetime, settings: Settings) -> Month:
    """A YYYY-MM month no further than one month ahead of `at`."""
    month = Month.parse(text_value)
    current = Month.of(at, settings.tz)
    if month > current.next():
        raise ValidationError(
            f"月份 {month} 太远：最多只能为下个月（{current.next()}）充值，当前为 {current}"
        )
    return month


# --- preview ---------------------------------------------------------------------------------


@dataclass
class TopUpPreview:
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


def _amount_case(settings: Settings) -> Any:
    """SQL: the monthly amount for a beneficiary's category."""
    allowance = settings.allowance
    whens = [
        (Beneficiary.category == category, allowance.amount_for(category).fen)
        for category in allowance.categories
    ]
    return case(*whens, else_=allowance.monthly.fen)


def _eligible(settings: Settings) -> Any:
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
    eligible: dict[int, tuple[str, int]] = {}
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for account_id, category, amount in session.execute(_eligible(settings)):
        eligible[account_id] = (category, amount)
        if account_id in credited:
            result.already_credited += 1
            continue
        result.people += 1
        result.amount_fen += amount
        by_category[category][0] += 1
        by_category[category][1] += amount
    result.by_category = dict(by_category)
    joined = [a for a in eligible if a not in last]
    left = [a for a in last if a not in eligible]
    changed = [a for a, (_, amount) in eligible.items() if a in last and last[a] != amount]
    names = _names(session, joined + left + changed)
    result.joined = [names[a] for a in joined]
    result.left = [names[a] for a in left]
    result.amount_changed = [
        f"{names[a]} {Money(last[a])}→{Money(eligible[a][1])}" for a in changed
    ]
    return result


def _names(session: Session, account_ids: list[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    out: dict[int, str] = {}
    wanted = set(account_ids)
    for account_id, name, id_number in session.execute(
        select(Account.id, Beneficiary.name, Beneficiary.id_number).join(
            Beneficiary, Beneficiary.id == Account.beneficiary_id
        )
    ):
        if account_id in wanted:
            out[account_id] = f"{name}（{mask_id_number(id_number)}）"
    return out


# --- runs ------------------------------------------------------------------------------------


def prepare_run(
    session: Session, settings: Settings, month: Month, *, at: datetime, actor: Actor
) -> TopUpRun:
    """Record a run for `month` with its preview (nothing is credited yet)."""
    pending = session.scalar(
        select(TopUpRun).where(TopUpRun.month == str(month), TopUpRun.status == "prepared")
    )
    if pending is not None:
        raise Conflict(
            f"{month} 已有一个待审批的充值批次（#{pending.id}，{pending.prepared_by} 准备），"
            "请先审批或取消"
        )
    shown = preview(session, settings, month)
    run = TopUpRun(
        month=str(month),
        status="prepared",
        people=shown.people,
        amount_fen=shown.amount_fen,
        preview_json=shown.to_json(),
        prepared_at=at,
        prepared_by_id=actor.user_id,
        prepared_by=actor.name,
    )
    session.add(run)
    session.flush()
    return run


def approve_run(
    session: Session,
    settings: Settings,
    run_id: int,
    *,
    at: datetime,
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> TopUpRun:
    """A second bureau user approves a prepared run, which is then posted."""
    run = session.get(TopUpRun, run_id)
    if run is None:
        raise NotFound(f"充值批次 #{run_id} 不存在")
    if run.status != "prepared":
        raise Conflict(f"充值批次 #{run_id} 已{'入账' if run.status == 'posted' else '取消'}")
    same = (
        run.prepared_by_id == actor.user_id
        if run.prepared_by_id is not None or actor.user_id is not None
        else run.prepared_by == actor.name
    )
    if same:
        raise Forbidden("充值批次须由另一位民政局工作人员审批，准备人不能自己审批")
    run.approved_at = at
    run.approved_by_id = actor.user_id
    run.approved_by = actor.name
    return post_run(session, settings, run, at=at, actor=actor)


def cancel_run(session: Session, run_id: int, *, at: datetime, actor: Actor) -> TopUpRun:
    run = session.get(TopUpRun, run_id)
    if run is None or run.status != "prepared":
        raise Conflict(f"充值批次 #{run_id} 不是待审批状态，不能取消")
    run.status = "cancelled"
    run.approved_at = at
    run.approved_by_id = actor.user_id
    run.approved_by = actor.name
    session.flush()
    return run


POST_STEPS = ("过期处理", "登记入账名单", "写入分录", "更新余额")


def post_run(
    session: Session,
    settings: Settings,
    run: TopUpRun,
    *,
    at: datetime,
    actor: Actor,
    progress: Callable[[str], None] | None = None,
) -> TopUpRun:
    """Credit every eligible account not yet credited for the run's month, in one ledger
    transaction (set-based). Lapsed credit is expired first under `unspent = "expire"`.
    `progress` is told as each of POST_STEPS begins (the command line draws a bar)."""
    step = progress or (lambda _name: None)
    month = Month.parse(run.month)
    step(POST_STEPS[0])
    expire(session, settings, month, at=at, actor=actor)
    step(POST_STEPS[1])
    head = ledger._lock_head(session)
    eligible = _eligible(settings).subquery()
    already = select(TopUpCredit.id).where(
        TopUpCredit.account_id == eligible.c.id, TopUpCredit.month == run.month
    )
    session.execute(
        insert(TopUpCredit).from_select(
            ["account_id", "month", "run_id", "category", "amount_fen"],
            select(
                eligible.c.id,
                literal(run.month),
                literal(run.id),
                eligible.c.category,
                eligible.c.amount,
            ).where(~already.exists(), eligible.c.amount > 0),
        )
    )
    credits = session.execute(
        select(TopUpCredit.account_id, TopUpCredit.category, TopUpCredit.amount_fen).where(
            TopUpCredit.run_id == run.id
        )
    ).all()
    run.status = "posted"
    run.people = len(credits)
    run.amount_fen = sum(c.amount_fen for c in credits)
    if not credits:
        session.flush()
        return run
    funds: dict[str, int] = defaultdict(int)
    for _, category, fen in credits:
        funds[category] += fen
    book_postings = [(None, ledger.fund_book(c), -fen) for c, fen in sorted(funds.items())]
    postings = [(a, None, fen) for a, _, fen in credits] + book_postings
    step(POST_STEPS[2])
    txn = ledger._append_txn(
        session,
        head,
        kind="topup",
        business_date=local_date(at, settings.tz),
        period=run.month,
        idem_key=f"topup:{run.month}:{run.id}",
        memo=f"{Month.parse(run.month).label}补贴（批次 #{run.id}）",
        at=at,
        actor=actor,
        postings=postings,
    )
    session.execute(
        insert(Posting).from_select(
            ["txn_id", "account_id", "amount_fen"],
            select(
                literal(txn.id),
                TopUpCredit.account_id,
                TopUpCredit.amount_fen,
            ).where(TopUpCredit.run_id == run.id),
        )
    )
    session.execute(
        insert(Posting),
        [
            {"txn_id": txn.id, "account_id": None, "book": b, "amount_fen": f}
            for _, b, f in book_postings
        ],
    )
    step(POST_STEPS[3])
    credit = (
        select(TopUpCredit.amount_fen)
        .where(
            TopUpCredit.account_id == Account.id,
            TopUpCredit.month == run.month,  # the unique (account, month) index answers it
            TopUpCredit.run_id == run.id,
        )
        .scalar_subquery()
    )
    session.execute(
        update(Account)
        .where(Account.id.in_(select(TopUpCredit.account_id).where(TopUpCredit.run_id == run.id)))
        .values(balance_fen=Account.balance_fen + credit)
        .execution_options(synchronize_session=False)
    )
    run.txn_id = txn.id
    session.flush()
    _expire_accounts(session)
    return run


def _expire_accounts(session: Session) -> None:
    """Wallets loaded before a set-based UPDATE re-read their balance on next access."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Account):
            session.expire(obj, ["balance_fen"])


@dataclass
class TopUpOutcome:
    preview: TopUpPreview
    run: TopUpRun | None
    posted: bool


def run_topup(
    session: Session,
    settings: Settings,
    month: Month,
    *,
    at: datetime,
    actor: Actor,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> TopUpOutcome:
    """What `charity topup` does: preview; unless dry, prepare, and post when approval is
    "single" (with "two_person" the run waits for a second user's approval)."""
    shown = preview(session, settings, month)
    if dry_run or shown.people == 0:
        return TopUpOutcome(shown, None, False)
    run = prepare_run(session, settings, month, at=at, actor=actor)
    if settings.allowance.approval == "two_person":
        return TopUpOutcome(shown, run, False)
    run.approved_at = at
    run.approved_by_id = actor.user_id
    run.approved_by = actor.name
    post_run(session, settings, run, at=at, actor=actor, progress=progress)
    return TopUpOutcome(shown, run, True)


# --- expiry ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryResult:
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
    head = ledger._lock_head(session)
    rows = session.execute(
        select(Account.id, Account.balance_fen - func.coalesce(recent.c.kept, 0))
        .outerjoin(recent, recent.c.account_id == Account.id)
        .where(Account.balance_fen > func.coalesce(recent.c.kept, 0))
        .order_by(Account.id)
    ).all()
    if not rows:
        return ExpiryResult(0, Money(0), None)
    total = sum(int(lapse) for _, lapse in rows)
    postings = [(a, None, -int(lapse)) for a, lapse in rows] + [(None, ledger.BOOK_LAPSED, total)]
    txn = ledger._append_txn(
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
    if result.rowcount not in (len(rows), -1):  # type: ignore[attr-defined]
        raise Conflict("过期处理时余额发生变化，请重试")
    session.execute(
        insert(Posting),
        [{"txn_id": txn.id, "account_id": a, "book": b, "amount_fen": f} for a, b, f in postings],
    )
    session.flush()
    _expire_accounts(session)
    return ExpiryResult(len(rows), Money(total), txn.id)


# --- the fund report -------------------------------------------------------------------------


@dataclass
class FundRow:
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
    out = [f"{report.month} 慈善购物卡资金月报"]
    out.append("  ".join(title for title, _ in REPORT_COLUMNS))
    for r in [*report.rows, report.total]:
        cells = []
        for _, name in REPORT_COLUMNS:
            value = getattr(r, name)
            cells.append(str(Money(value)) if name.endswith("_fen") else str(value))
        out.append("  ".join(cells))
    return out


def write_report_xlsx(report: FundReport, path: Path, *, store_name: str) -> None:
    """The report as an Excel workbook (amounts as numbers in yuan with two decimals)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"资金月报{report.month}"
    sheet.append([f"{store_name} 慈善购物卡资金月报 {report.month}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([title for title, _ in REPORT_COLUMNS])
    for r in [*report.rows, report.total]:
        values: list[Any] = []
        for _, name in REPORT_COLUMNS:
            value = getattr(r, name)
            values.append(Money(value).decimal if name.endswith("_fen") else value)
        sheet.append(values)
    for row in sheet.iter_rows(min_row=3, min_col=3, max_col=len(REPORT_COLUMNS)):
        for cell in row:
            cell.number_format = "#,##0.00"
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def month_of(at: datetime, settings: Settings) -> Month:
    return Month.of(at, settings.tz)
