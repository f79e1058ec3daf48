"""The bureau's month close: an ended month's fund statement is stored (per category and per
store) and never changes; the ledger is sealed up to the month's end (`SEQ:HASH`: the chain
sequence number and the first 16 hex of the hash of the last transaction dated in or before the
month); from then on nothing dated in it can be posted (`cards.services.ledger.refuse_closed`).
`check_closed_months` is what `charity ledger verify` asks: does every stored statement still
equal a recomputation?"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.hooks import CardsHooks
from cards.models import MonthClose
from cards.services.fund_statement import FundStatement, compute_statement, stored_close
from cards.services.seals import seal_through
from core import audit
from core.auth import Actor
from core.config import Settings
from core.errors import ValidationError
from core.periods import Month, local_date


def seal_at(session: Session, last_day: date) -> str:
    """`SEQ:HASH` of the last ledger transaction dated on or before `last_day` (by chain
    sequence), or `0:000...` when there is none (`cards.services.seals` makes and checks it)."""
    return str(seal_through(session, last_day))


@dataclass(frozen=True)
class CloseOutcome:
    """What a close did: the stored statement, its seal, and whether it was closed before."""

    statement: FundStatement
    seal: str
    already: bool
    closed_at: datetime


def close_month(
    session: Session,
    settings: Settings,
    month: Month,
    hooks: CardsHooks,
    *,
    at: datetime,
    actor: Actor,
) -> CloseOutcome:
    """Close an ended month (store time): store its statement and seal, record `month_close`
    in the audit log. A month closed before is answered as it was (`already`); a month that has
    not ended is refused."""
    existing = stored_close(session, month)
    if existing is not None:
        return CloseOutcome(_stored(existing), existing.seal, True, existing.closed_at)
    today = local_date(at, settings.tz)
    if today <= month.last_day:
        raise ValidationError(
            f"{month} 月还没有结束（门店时间 {today.isoformat()}），"
            f"最早 {month.next().first_day.isoformat()} 才能结账"
        )
    statement = compute_statement(session, settings, month, hooks)
    statement.closed = True
    seal = seal_at(session, month.last_day)
    statement.seal = seal
    record = MonthClose(
        month=str(month),
        statement_json=json.dumps(statement.to_json(), ensure_ascii=False, sort_keys=False),
        seal=seal,
        closed_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        "month_close",
        actor=actor,
        at=at,
        subject=str(month),
        detail={
            "seal": seal,
            "balanced": statement.balanced,
            "closing": statement.to_json()["total"]["closing"],
        },
    )
    return CloseOutcome(statement, seal, False, at)


def _stored(record: MonthClose) -> FundStatement:
    return FundStatement.from_json(json.loads(record.statement_json), seal=record.seal)


def closed_months(session: Session) -> list[MonthClose]:
    """Every closed month, newest first."""
    return list(session.scalars(select(MonthClose).order_by(MonthClose.month.desc())))


def check_closed_months(
    session: Session, settings: Settings, hooks: CardsHooks | None = None
) -> list[str]:
    """Problems where a closed month's stored statement differs from a recomputation, or its
    stored seal from the ledger's transaction at that point (for `charity ledger verify`)."""
    problems: list[str] = []
    for record in sorted(closed_months(session), key=lambda r: r.month):
        month = Month.parse(record.month)
        stored = json.loads(record.statement_json)
        fresh = compute_statement(session, settings, month, hooks or CardsHooks())
        fresh.closed = True
        now = fresh.to_json()
        compared: tuple[str, ...] = ("total", "categories")
        if hooks is not None:
            compared += ("stores", "charity_discount", "purchases", "shoppers", "clothing_items")
        for key in compared:
            if stored.get(key) != now.get(key):
                problems.append(
                    f"已结账月份 {record.month} 的资金月报「{key}」与重新计算不一致："
                    f"存档 {json.dumps(stored.get(key), ensure_ascii=False)}，"
                    f"现在 {json.dumps(now.get(key), ensure_ascii=False)}"
                )
        seal = seal_at(session, month.last_day)
        if seal != record.seal:
            problems.append(
                f"已结账月份 {record.month} 的封印 {record.seal} 与账本不符（现在为 {seal}）"
            )
    return problems
