"""The bureau's monthly top-up runs. A run is prepared (its preview stored: people, amount, by
category, the difference from last month; and its lines, `topup_run_line`: exactly who gets how
much), then approved, at once with `allowance.approval = "single"`, or by a second bureau user
with "two_person", and posted: the approved lines, less the people no longer eligible (skipped,
and said so); someone who became eligible after preparation waits for a supplementary run.

A month's allowance is never posted before the month has begun in store time: a run approved
earlier stays `approved` and is posted by `post_due_runs` (which `charity topup` of that month
and the top-up page call) once it has. Credits are booked on the day they are posted.

Posting is set-based SQL: credits are inserted from one SELECT into `topup_credit`, whose unique
key (account, month) makes a month's credit happen once however often or concurrently runs are
made; one ledger transaction carries the run's postings, each wallet's with its category."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, literal, select, update
from sqlalchemy.orm import Session

from cards.models import Account, Beneficiary, Posting, TopUpCredit, TopUpRun, TopUpRunLine
from cards.services import ledger
from cards.services.expiry import expire
from cards.services.ledger import PostingKey
from cards.services.topup_preview import TopUpPreview, eligible, preview
from core import audit
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from core.keys import DataKeys
from core.money import Money
from core.periods import Month, local_date


def month_begun(settings: Settings, month: Month, at: datetime) -> bool:
    """Whether `month` has begun at `at` in store time (`store.timezone`)."""
    return local_date(at, settings.tz) >= month.first_day


def require_month_begun(settings: Settings, month: Month, at: datetime) -> None:
    """ValidationError unless `month` has begun in store time: its allowance is not posted
    before (a preview, a preparation and an approval may be made earlier)."""
    if not month_begun(settings, month, at):
        raise ValidationError(
            f"{month} 月还没有开始（门店时间 {local_date(at, settings.tz).isoformat()}）："
            f"该月补贴最早在 {month.first_day.isoformat()} 入账；现在只能预览（--dry-run）"
        )


def prepare_run(
    session: Session,
    settings: Settings,
    month: Month,
    *,
    at: datetime,
    actor: Actor,
    address: str = "",
) -> TopUpRun:
    """Record a run for `month` with its preview (nothing is credited yet); logged
    (`topup_prepare`) in the caller's transaction."""
    pending = session.scalar(
        select(TopUpRun).where(
            TopUpRun.month == str(month), TopUpRun.status.in_(("prepared", "approved"))
        )
    )
    if pending is not None:
        state = "待审批" if pending.status == "prepared" else "已审批、等待该月开始后入账"
        raise Conflict(
            f"{month} 已有一个{state}的充值批次（#{pending.id}，{pending.prepared_by} 准备），"
            "请先处理或取消它"
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
    candidates = eligible(settings).subquery()
    already = select(TopUpCredit.id).where(
        TopUpCredit.account_id == candidates.c.id, TopUpCredit.month == run.month
    )
    session.execute(
        insert(TopUpRunLine).from_select(
            ["run_id", "account_id", "category", "amount_fen"],
            select(
                literal(run.id), candidates.c.id, candidates.c.category, candidates.c.amount
            ).where(~already.exists(), candidates.c.amount > 0),
        )
    )
    _audit(session, "topup_prepare", run, settings, at=at, actor=actor, address=address)
    return run


def _audit(
    session: Session,
    kind: str,
    run: TopUpRun,
    settings: Settings,
    *,
    at: datetime,
    actor: Actor,
    address: str,
) -> None:
    """Log a step of a run (prepared, approved, cancelled) with its month, people and amount."""
    audit.record(
        session,
        kind,
        actor=actor,
        at=at,
        subject=f"topup:{run.month}#{run.id}",
        detail={
            "run": run.id,
            "month": run.month,
            "people": run.people,
            "amount": str(Money(run.amount_fen)),
            "approval": settings.allowance.approval,
            "status": run.status,
        },
        address=address,
    )


def approve_run(
    session: Session,
    settings: Settings,
    run_id: int,
    *,
    at: datetime,
    actor: Actor,
    keys: DataKeys,
    progress: Callable[[str], None] | None = None,
    address: str = "",
) -> TopUpRun:
    """A second bureau user approves a prepared run, which is then posted."""
    run = session.get(TopUpRun, run_id)
    if run is None:
        raise NotFound(f"充值批次 #{run_id} 不存在")
    if run.status != "prepared":
        done = {"posted": "入账", "approved": "审批（等待该月开始后入账）"}.get(run.status, "取消")
        raise Conflict(f"充值批次 #{run_id} 已{done}")
    same = (
        run.prepared_by_id == actor.user_id
        if run.prepared_by_id is not None or actor.user_id is not None
        else run.prepared_by == actor.name
    )
    if same:
        raise Forbidden("充值批次须由另一位民政局工作人员审批，准备人不能自己审批")
    return approve_and_post(
        session, settings, run, at=at, actor=actor, keys=keys, progress=progress, address=address
    )


def approve_and_post(
    session: Session,
    settings: Settings,
    run: TopUpRun,
    *,
    at: datetime,
    actor: Actor,
    keys: DataKeys,
    progress: Callable[[str], None] | None = None,
    address: str = "",
) -> TopUpRun:
    """Record `actor` as the run's approver and post it if its month has begun (else it stays
    `approved` until then; callers check who may approve). Logged (`topup_approve`, also for
    the implicit approval of "single") in the caller's transaction."""
    run.approved_at = at
    run.approved_by_id = actor.user_id
    run.approved_by = actor.name
    if not month_begun(settings, Month.parse(run.month), at):
        run.status = "approved"
        session.flush()
    else:
        post_run(session, settings, run, at=at, actor=actor, keys=keys, progress=progress)
    _audit(session, "topup_approve", run, settings, at=at, actor=actor, address=address)
    return run


def post_due_runs(
    session: Session, settings: Settings, *, at: datetime, actor: Actor, keys: DataKeys
) -> list[TopUpRun]:
    """Post every approved run whose month has begun by `at` (store time), oldest first."""
    posted = []
    runs = session.scalars(
        select(TopUpRun).where(TopUpRun.status == "approved").order_by(TopUpRun.id)
    ).all()
    for run in runs:
        if month_begun(settings, Month.parse(run.month), at):
            posted.append(post_run(session, settings, run, at=at, actor=actor, keys=keys))
    return posted


def cancel_run(
    session: Session,
    settings: Settings,
    run_id: int,
    *,
    at: datetime,
    actor: Actor,
    address: str = "",
) -> TopUpRun:
    """Cancel a prepared run, or an approved one still waiting for its month (nothing was
    credited); logged (`topup_cancel`)."""
    run = session.get(TopUpRun, run_id)
    if run is None or run.status not in ("prepared", "approved"):
        raise Conflict(f"充值批次 #{run_id} 不是待审批状态，不能取消")
    run.status = "cancelled"
    run.approved_at = at
    run.approved_by_id = actor.user_id
    run.approved_by = actor.name
    session.flush()
    _audit(session, "topup_cancel", run, settings, at=at, actor=actor, address=address)
    return run


POST_STEPS = ("过期处理", "登记入账名单", "写入分录", "更新余额")


def post_run(
    session: Session,
    settings: Settings,
    run: TopUpRun,
    *,
    at: datetime,
    actor: Actor,
    keys: DataKeys,
    progress: Callable[[str], None] | None = None,
) -> TopUpRun:
    """Credit the run's lines, in one ledger transaction (set-based): each line's account and
    amount as prepared, when its person is still active in a configured category and not yet
    credited for the month; the others are skipped and listed in `skipped_json`. Refused before
    the month has begun in store time. Lapsed credit is expired first under `unspent = "expire"`.
    `progress` is told as each of POST_STEPS begins (the command line draws a bar)."""
    step = progress or (lambda _name: None)
    month = Month.parse(run.month)
    require_month_begun(settings, month, at)
    if run.status not in ("prepared", "approved"):
        raise Conflict(f"充值批次 #{run.id} 不是待入账状态")
    step(POST_STEPS[0])
    expire(session, settings, month, at=at, actor=actor, keys=keys)
    step(POST_STEPS[1])
    head = ledger.lock_head(session)
    already = select(TopUpCredit.id).where(
        TopUpCredit.account_id == TopUpRunLine.account_id, TopUpCredit.month == run.month
    )
    session.execute(
        insert(TopUpCredit).from_select(
            ["account_id", "month", "run_id", "category", "amount_fen"],
            select(
                TopUpRunLine.account_id,
                literal(run.month),
                literal(run.id),
                TopUpRunLine.category,
                TopUpRunLine.amount_fen,
            )
            .join(Account, Account.id == TopUpRunLine.account_id)
            .join(Beneficiary, Beneficiary.id == Account.beneficiary_id)
            .where(
                TopUpRunLine.run_id == run.id,
                Beneficiary.status == "active",
                Beneficiary.category.in_(settings.allowance.categories),
                ~already.exists(),
            ),
        )
    )
    credits = session.execute(
        select(TopUpCredit.account_id, TopUpCredit.category, TopUpCredit.amount_fen).where(
            TopUpCredit.run_id == run.id
        )
    ).all()
    credited = {c.account_id for c in credits}
    skipped = session.execute(
        select(TopUpRunLine.account_id, Beneficiary.id, Beneficiary.name, Beneficiary.status)
        .join(Account, Account.id == TopUpRunLine.account_id)
        .join(Beneficiary, Beneficiary.id == Account.beneficiary_id)
        .where(TopUpRunLine.run_id == run.id)
        .order_by(TopUpRunLine.account_id)
    ).all()
    run.skipped_json = json.dumps(
        [f"{name}（编号 {pid}）" for a, pid, name, _ in skipped if a not in credited],
        ensure_ascii=False,
    )
    run.status = "posted"
    run.people = len(credits)
    run.amount_fen = sum(c.amount_fen for c in credits)
    if not credits:
        session.flush()
        return run
    funds: dict[str, int] = defaultdict(int)
    for _, category, fen in credits:
        funds[category] += fen
    book_postings: list[PostingKey] = [
        (None, ledger.fund_book(c), -fen, None) for c, fen in sorted(funds.items())
    ]
    postings: list[PostingKey] = [(a, None, fen, c) for a, c, fen in credits] + book_postings
    step(POST_STEPS[2])
    txn = ledger.append_txn(
        session,
        head,
        keys=keys,
        kind="topup",
        business_date=local_date(at, settings.tz),
        period=run.month,
        idem_key=f"topup:{run.month}:{run.id}",
        memo=f"{month.label}补贴（批次 #{run.id}）",
        at=at,
        actor=actor,
        postings=postings,
    )
    session.execute(
        insert(Posting).from_select(
            ["txn_id", "account_id", "amount_fen", "category"],
            select(
                literal(txn.id),
                TopUpCredit.account_id,
                TopUpCredit.amount_fen,
                TopUpCredit.category,
            ).where(TopUpCredit.run_id == run.id),
        )
    )
    session.execute(
        insert(Posting),
        [
            {"txn_id": txn.id, "account_id": None, "book": b, "amount_fen": f}
            for _, b, f, _c in book_postings
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
    ledger.refresh_balances(session)
    return run


def skipped(run: TopUpRun) -> list[str]:
    """The people of a posted run's lines who were no longer eligible when it was posted."""
    names = json.loads(run.skipped_json or "[]")
    return [str(n) for n in names]


@dataclass
class TopUpOutcome:
    """What `run_topup` did: the preview it showed, the run it made (if any), and whether that
    run was posted (with two-person approval it waits)."""

    preview: TopUpPreview
    run: TopUpRun | None
    posted: bool
    due: list[TopUpRun] = field(default_factory=list)  # approved earlier, posted now


def run_topup(
    session: Session,
    settings: Settings,
    month: Month,
    *,
    at: datetime,
    actor: Actor,
    keys: DataKeys,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    address: str = "",
) -> TopUpOutcome:
    """What `charity topup` does: preview; unless dry, post the approved runs now due, then
    prepare a run for whoever is not yet credited, and post it when approval is "single" (with
    "two_person" the run waits for a second user's approval; before its month has begun it
    waits as `approved`)."""
    due = [] if dry_run else post_due_runs(session, settings, at=at, actor=actor, keys=keys)
    shown = preview(session, settings, month)
    if dry_run or shown.people == 0:
        return TopUpOutcome(shown, None, False, due)
    run = prepare_run(session, settings, month, at=at, actor=actor, address=address)
    if settings.allowance.approval == "two_person":
        return TopUpOutcome(shown, run, False, due)
    approve_and_post(
        session, settings, run, at=at, actor=actor, keys=keys, progress=progress, address=address
    )
    return TopUpOutcome(shown, run, run.status == "posted", due)
