"""Give-away events (集中衣物发放): items by kind given to people not recorded one by one, and
items given to named beneficiaries, which count against their quarter when
`clothing.events_count` is true.

Plain functions that take a session, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.models import Beneficiary
from cards.services.cards import find_card
from clothing_exchange.models import ClothingEvent, ClothingEventTotal
from clothing_exchange.services.claims import active_beneficiary, record_uncounted, take_allowance
from core.auth import Actor
from core.config import Settings
from core.errors import DomainError, NotFound, ValidationError


@dataclass(frozen=True)
class CardHandout:
    """One item given to a named person, typed as a line `卡号 种类` of the handout list."""

    line: int
    card_no: str
    kind: str


def handouts_by_card(session: Session, handouts: Sequence[CardHandout]) -> list[tuple[int, str]]:
    """The handouts as (beneficiary_id, kind) for `record_event`; a card that is not found is
    refused naming its line."""
    out: list[tuple[int, str]] = []
    for handout in handouts:
        try:
            card = find_card(session, handout.card_no)
        except DomainError as exc:
            raise ValidationError(f"领取名单第 {handout.line} 行：{exc.message}") from None
        out.append((card.account.beneficiary_id, handout.kind))
    return out


def _event_moment(day: date, settings: Settings) -> datetime:
    """Claims made at an event count in the quarter of the event's day (noon, store time)."""
    return datetime.combine(day, time(12), tzinfo=settings.tz)


def record_event(
    session: Session,
    *,
    event_date: date,
    place: str,
    totals: Mapping[str, int] | None = None,
    handouts: Sequence[tuple[int, str]] = (),
    note: str = "",
    at: datetime,
    actor: Actor,
    settings: Settings,
) -> ClothingEvent:
    """Record a give-away: items by kind given to people not recorded one by one (`totals`), and
    items given to named beneficiaries (`handouts`: (beneficiary_id, kind) per item), which count
    against their quarter when `clothing.events_count` is true (refused beyond it)."""
    kinds = settings.clothing.kinds
    place = place.strip()
    if not place:
        raise ValidationError("发放地点不能为空")
    if len(place) > 120:
        raise ValidationError(f"发放地点 {place[:20]}… 超过 120 个字符")
    totals = dict(totals or {})
    for kind, count in totals.items():
        if kind not in kinds:
            raise ValidationError(f"未知衣物种类 {kind}（可选：{'、'.join(kinds)}）")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"{kind} 的件数应为非负整数，实际为 {count!r}")
    for beneficiary_id, kind in handouts:
        if kind not in kinds:
            raise ValidationError(f"未知衣物种类 {kind}（可选：{'、'.join(kinds)}）")
        if session.get(Beneficiary, beneficiary_id) is None:
            raise NotFound(f"救助对象 {beneficiary_id} 不存在")
    if not any(totals.values()) and not handouts:
        raise ValidationError("请至少填写一种衣物的发放件数")
    event = ClothingEvent(
        event_date=event_date,
        place=place,
        note=note.strip()[:500],
        created_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(event)
    session.flush()
    for kind, count in totals.items():
        if count:
            session.add(ClothingEventTotal(event_id=event.id, kind=kind, count=count))
    moment = _event_moment(event_date, settings)
    by_person: dict[int, list[str]] = {}
    for beneficiary_id, kind in handouts:
        by_person.setdefault(beneficiary_id, []).append(kind)
    for beneficiary_id, person_kinds in by_person.items():
        if settings.clothing.events_count:
            active_beneficiary(session, beneficiary_id)
            take_allowance(
                session,
                beneficiary_id=beneficiary_id,
                items=[(kind, None) for kind in person_kinds],
                at=moment,
                actor=actor,
                settings=settings,
                event_id=event.id,
            )
        else:
            for kind in person_kinds:
                record_uncounted(
                    session,
                    beneficiary_id=beneficiary_id,
                    kind=kind,
                    at=moment,
                    actor=actor,
                    settings=settings,
                    event_id=event.id,
                )
    session.flush()
    return event


def recent_events(session: Session, *, limit: int = 200) -> list[ClothingEvent]:
    """The latest give-away events, newest day first."""
    return list(
        session.scalars(
            select(ClothingEvent).order_by(ClothingEvent.event_date.desc()).limit(limit)
        )
    )
