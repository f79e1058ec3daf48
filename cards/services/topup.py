"""The bureau's monthly top-up runs. A run is prepared (its preview stored: people, amount, by
category, the difference from last month), then posted, at once with `allowance.approval =
"single"`, or after a second bureau user approves it with "two_person". Posting is set-based
SQL: credits are inserted from one SELECT into `topup_credit`, whose unique key (account, month)
makes a month's credit happen once however often or concurrently runs are made; one ledger
transaction carries the run's postings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, literal, select, update
from sqlalchemy.orm import Session

from cards.models import Account, Posting, TopUpCredit, TopUpRun
from cards.services import ledger
from cards.services.expiry import expire
from cards.services.ledger import PostingKey
from cards.services.topup_preview import TopUpPreview, eligible, preview
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, Forbidden, NotFound
from core.keys import DataKeys
from core.periods import Month, local_date


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
    keys: DataKeys,
    progress: Callable[[str], None] | None = None,
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
    return approve_and_post(
        session, settings, run, at=at, actor=actor, keys=keys, progress=progress
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
) -> TopUpRun:
    """Record `actor` as the run's approver and post it (callers check who may approve)."""
    run.approved_at = at
    run.approved_by_id = actor.user_id
    run.approved_by = actor.name
    return post_run(session, settings, run, at=at, actor=actor, keys=keys, progress=progress)


def cancel_run(session: Session, run_id: int, *, at: datetime, actor: Actor) -> TopUpRun:
    """Cancel a prepared run (nothing was credited)."""
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
    keys: DataKeys,
    progress: Callable[[str], None] | None = None,
) -> TopUpRun:
    """Credit every eligible account not yet credited for the run's month, in one ledger
    transaction (set-based). Lapsed credit is expired first under `unspent = "expire"`.
    `progress` is told as each of POST_STEPS begins (the command line draws a bar)."""
    step = progress or (lambda _name: None)
    month = Month.parse(run.month)
    step(POST_STEPS[0])
    expire(session, settings, month, at=at, actor=actor, keys=keys)
    step(POST_STEPS[1])
    head = ledger.lock_head(session)
    candidates = eligible(settings).subquery()
    already = select(TopUpCredit.id).where(
        TopUpCredit.account_id == candidates.c.id, TopUpCredit.month == run.month
    )
    session.execute(
        insert(TopUpCredit).from_select(
            ["account_id", "month", "run_id", "category", "amount_fen"],
            select(
                candidates.c.id,
                literal(run.month),
                literal(run.id),
                candidates.c.category,
                candidates.c.amount,
            ).where(~already.exists(), candidates.c.amount > 0),
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
    book_postings: list[PostingKey] = [
        (None, ledger.fund_book(c), -fen) for c, fen in sorted(funds.items())
    ]
    postings: list[PostingKey] = [(a, None, fen) for a, _, fen in credits] + book_postings
    step(POST_STEPS[2])
    txn = ledger.append_txn(
        session,
        head,
        keys=keys,
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
    ledger.refresh_balances(session)
    return run


@dataclass
class TopUpOutcome:
    """What `run_topup` did: the preview it showed, the run it made (if any), and whether that
    run was posted (with two-person approval it waits)."""

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
    keys: DataKeys,
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
    approve_and_post(session, settings, run, at=at, actor=actor, keys=keys, progress=progress)
    return TopUpOutcome(shown, run, True)
