"""The quarter's clothing allowance: how many items a beneficiary may take in a calendar quarter
(store time), how many they took, the Chinese refusal, and the answer the card pages and the
terminal show (`allowance_for`, handed to cards by the app that hosts both).

Read-only: the claims that use the allowance are in `claims`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.hooks import ClothingAllowance, ClothingStatus
from clothing_exchange.models import ClothingClaim
from core.config import Settings
from core.periods import Quarter


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


def status_for(
    session: Session, beneficiary_id: int, at: datetime, *, settings: Settings
) -> ClothingStatus:
    """The quarter's allowance of one beneficiary, as the card page and the terminal show it."""
    state = allowance(session, beneficiary_id, at, settings)
    return ClothingStatus(
        quarter=str(state.quarter),
        allowed=state.allowed,
        used=state.used,
        last_taken_at=state.last_taken_at,
        next_available=state.next_available,
    )


def allowance_for(settings: Settings) -> ClothingAllowance:
    """How the cards package answers a person's quarter allowance under `settings` (the app that
    hosts both hands it in: `cards.hooks.CardsHooks(clothing_allowance=allowance_for(settings))`).
    Each app gets its own answer; nothing is kept between calls."""

    def clothing_allowance(session: Session, beneficiary_id: int, at: datetime) -> ClothingStatus:
        return status_for(session, beneficiary_id, at, settings=settings)

    return clothing_allowance
