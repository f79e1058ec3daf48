"""Domain rules of the clothing exchange: the quarterly allowance and claims (called by checkout
inside the sale's transaction), give-away events, and recording 衣暖人心 intake as stock.

Plain functions that take a session, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clothing_exchange.models import ClothingClaim
from core.auth import Actor
from core.config import Settings
from core.errors import ClothingQuotaExceeded, ValidationError
from core.periods import Quarter, local_date

# How often a claim is retried after losing a race for a slot (another terminal took it).
_SLOT_RETRIES = 5


# --- the quarter's allowance --------------------------------------------------------------------


@dataclass(frozen=True)
class Allowance:
    """One beneficiary's clothing allowance in one quarter."""

    quarter: Quarter
    allowed: int
    used: int
    last_taken_at: datetime | None

    @property
    def left(self) -> int:
        return max(self.allowed - self.used, 0)

    @property
    def next_available(self) -> date | None:
        """The first day a further item may be taken, None when one may be taken now."""
        if self.left > 0 or self.allowed == 0:
            return None
        return self.quarter.next().first_day


def quarter_of(at: datetime, settings: Settings) -> Quarter:
    """The calendar quarter of an instant in the store's timezone (turns at local midnight)."""
    return Quarter.of(at, settings.tz)


def allowance(session: Session, beneficiary_id: int, at: datetime, settings: Settings) -> Allowance:
    """The allowance of `beneficiary_id` in the quarter containing `at`."""
    quarter = quarter_of(at, settings)
    used, last = session.execute(
        select(func.count(ClothingClaim.id), func.max(ClothingClaim.taken_at)).where(
            ClothingClaim.beneficiary_id == beneficiary_id,
            ClothingClaim.quarter == str(quarter),
            ClothingClaim.slot.is_not(None),
        )
    ).one()
    return Allowance(quarter, settings.clothing.items_per_quarter, int(used or 0), last)


def quota_message(state: Allowance, wanted: int, settings: Settings) -> str:
    """The Chinese refusal: when the earlier item was taken, from which date the next is free."""
    if state.allowed == 0:
        return "本店目前不发放爱心衣物（clothing.items_per_quarter = 0）"
    label = state.quarter.label
    if state.left > 0:
        return (
            f"{label}爱心衣物每人限领 {state.allowed} 件，已领 {state.used} 件，"
            f"还可领 {state.left} 件，本单有 {wanted} 件"
        )
    taken = (
        f"，上次领取于 {state.last_taken_at.astimezone(settings.tz):%Y-%m-%d %H:%M}"
        if state.last_taken_at is not None
        else ""
    )
    available = state.quarter.next().first_day
    return (
        f"{label}爱心衣物每人限领 {state.allowed} 件，本季度已领{taken}；"
        f"下次可领日期：{available:%Y-%m-%d}"
    )


def _used_slots(session: Session, beneficiary_id: int, quarter: str) -> set[int]:
    return set(
        session.scalars(
            select(ClothingClaim.slot).where(
                ClothingClaim.beneficiary_id == beneficiary_id,
                ClothingClaim.quarter == quarter,
                ClothingClaim.slot.is_not(None),
            )
        )
    )


def _take_slot(
    session: Session,
    make: Callable[[int], ClothingClaim],
    beneficiary_id: int,
    quarter: str,
    allowed: int,
) -> ClothingClaim | None:
    """Insert the claim `make(slot)` in the lowest free slot; None when every slot is taken.

    The unique key (beneficiary_id, quarter, slot) decides races: a terminal whose insert
    collides with one committed meanwhile rolls back to its savepoint and looks again."""
    for _ in range(_SLOT_RETRIES):
        used = _used_slots(session, beneficiary_id, quarter)
        free = [slot for slot in range(1, allowed + 1) if slot not in used]
        if not free:
            return None
        claim = make(free[0])
        try:
            with session.begin_nested():
                session.add(claim)
                session.flush()
        except IntegrityError:
            continue
        return claim
    return None


def _refuse(
    session: Session, beneficiary_id: int, at: datetime, wanted: int, settings: Settings
) -> ClothingQuotaExceeded:
    state = allowance(session, beneficiary_id, at, settings)
    return ClothingQuotaExceeded(
        quota_message(state, wanted, settings),
        quarter=str(state.quarter),
        allowed=state.allowed,
        used=state.used,
        next_available=(
            state.next_available.isoformat() if state.next_available is not None else None
        ),
    )


def take_allowance(
    session: Session,
    *,
    beneficiary_id: int,
    items: list[tuple[str, int | None]],
    at: datetime,
    actor: Actor,
    settings: Settings,
    sale_no: str | None = None,
    event_id: int | None = None,
) -> list[ClothingClaim]:
    """Count `items` ((kind, product_id) per item) against the quarter, all or none.

    Raises ClothingQuotaExceeded when the quarter has fewer free slots than items, also when a
    terminal took the last slot at the same moment."""
    if not items:
        return []
    allowed = settings.clothing.items_per_quarter
    state = allowance(session, beneficiary_id, at, settings)
    if len(items) > state.left:
        raise _refuse(session, beneficiary_id, at, len(items), settings)
    claims: list[ClothingClaim] = []
    savepoint = session.begin_nested()
    try:
        for kind, product_id in items:

            def make(
                slot: int, kind: str = kind, product_id: int | None = product_id
            ) -> ClothingClaim:
                return ClothingClaim(
                    beneficiary_id=beneficiary_id,
                    quarter=str(state.quarter),
                    slot=slot,
                    counted=True,
                    kind=kind,
                    product_id=product_id,
                    sale_no=sale_no,
                    event_id=event_id,
                    taken_at=at,
                    actor_id=actor.user_id,
                    actor_name=actor.name,
                )

            claim = _take_slot(session, make, beneficiary_id, str(state.quarter), allowed)
            if claim is None:
                raise _refuse(session, beneficiary_id, at, len(items), settings)
            claims.append(claim)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return claims


def record_uncounted(
    session: Session,
    *,
    beneficiary_id: int,
    kind: str,
    at: datetime,
    actor: Actor,
    settings: Settings,
    event_id: int | None = None,
) -> ClothingClaim:
    """An item a beneficiary took that does not count against the quarter (events by default)."""
    claim = ClothingClaim(
        beneficiary_id=beneficiary_id,
        quarter=str(quarter_of(at, settings)),
        slot=None,
        counted=False,
        kind=kind,
        event_id=event_id,
        taken_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(claim)
    session.flush()
    return claim


def release_claims(
    session: Session, *, sale_no: str, product_id: int, qty: int, at: datetime, actor: Actor
) -> int:
    """Give back the allowance of up to `qty` items of `product_id` taken in sale `sale_no` (a
    refund). Returns how many claims were released (0 when the line took none)."""
    if qty < 0:
        raise ValidationError(f"退回件数不能为负数：{qty}")
    if qty == 0:
        return 0
    claims = session.scalars(
        select(ClothingClaim)
        .where(
            ClothingClaim.sale_no == sale_no,
            ClothingClaim.product_id == product_id,
            ClothingClaim.counted.is_(True),
            ClothingClaim.released_at.is_(None),
        )
        .order_by(ClothingClaim.id.desc())
        .limit(qty)
    ).all()
    for claim in claims:
        claim.slot = None
        claim.released_at = at
        claim.released_by_id = actor.user_id
        claim.released_by_name = actor.name
    session.flush()
    return len(claims)


def local_day(at: datetime, settings: Settings) -> date:
    return local_date(at, settings.tz)
