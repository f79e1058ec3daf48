"""Clothing reports: what 衣暖人心 collected and sorted (per month and collection point), what was
given (in the store versus at events, per quarter), and the active beneficiaries who have not used
this quarter's allowance. Stock by kind and size is `stock.clothing_stock`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import Beneficiary
from clothing_exchange.models import (
    ClothingClaim,
    ClothingEvent,
    ClothingEventTotal,
    ClothingIntakeBatch,
)
from clothing_exchange.services.allowance import quarter_of
from clothing_exchange.services.intake_file import from_milli
from core.config import Settings
from core.periods import Month, Quarter


@dataclass(frozen=True)
class IntakeTotal:
    month: str
    collection_point: str
    batches: int
    weight_kg: Decimal
    recycled_kg: Decimal
    items: int


def intake_by_month_and_point(session: Session, *, year: int | None = None) -> list[IntakeTotal]:
    """Kilograms collected and items sorted, per month and collection point (months ascending)."""
    query = select(ClothingIntakeBatch)
    if year is not None:
        query = query.where(
            ClothingIntakeBatch.intake_date >= Month(year, 1).first_day,
            ClothingIntakeBatch.intake_date <= Month(year, 12).last_day,
        )
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for batch in session.scalars(query):
        key = (str(Month.of_date(batch.intake_date)), batch.collection_point)
        row = sums[key]
        row[0] += 1
        row[1] += batch.weight_milli
        row[2] += batch.recycled_milli or 0
        row[3] += batch.items
    return [
        IntakeTotal(month, point, n, from_milli(kg), from_milli(recycled), items)
        for (month, point), (n, kg, recycled, items) in sorted(sums.items())
    ]


@dataclass(frozen=True)
class GivenTotal:
    quarter: str
    in_store: int
    at_events: int

    @property
    def total(self) -> int:
        return self.in_store + self.at_events


def given_by_quarter(session: Session) -> list[GivenTotal]:
    """Items given per quarter: taken at the counter (claims of sales not refunded) and at
    give-away events (named handouts plus the totals given to people not named)."""
    store: dict[str, int] = defaultdict(int)
    events: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(ClothingClaim.quarter, func.count())
        .where(ClothingClaim.sale_no.is_not(None), ClothingClaim.released_at.is_(None))
        .group_by(ClothingClaim.quarter)
    )
    for quarter, n in rows:
        store[quarter] += n
    rows = session.execute(
        select(ClothingClaim.quarter, func.count())
        .where(ClothingClaim.event_id.is_not(None), ClothingClaim.released_at.is_(None))
        .group_by(ClothingClaim.quarter)
    )
    for quarter, n in rows:
        events[quarter] += n
    totals = session.execute(
        select(ClothingEvent.event_date, func.sum(ClothingEventTotal.count))
        .join(ClothingEventTotal, ClothingEventTotal.event_id == ClothingEvent.id)
        .group_by(ClothingEvent.event_date)
    )
    for day, n in totals:
        events[str(Quarter.of_date(day))] += int(n or 0)
    quarters = sorted(set(store) | set(events))
    return [GivenTotal(q, store.get(q, 0), events.get(q, 0)) for q in quarters]


@dataclass(frozen=True)
class UnusedAllowance:
    beneficiary_id: int
    name: str
    category: str
    used: int
    allowed: int


def unused_allowance(
    session: Session, settings: Settings, *, at: datetime
) -> list[UnusedAllowance]:
    """Active beneficiaries who have not used up this quarter's allowance (by name)."""
    quarter = str(quarter_of(at, settings))
    allowed = settings.clothing.items_per_quarter
    used_by: dict[int, int] = {
        beneficiary_id: int(n)
        for beneficiary_id, n in session.execute(
            select(ClothingClaim.beneficiary_id, func.count())
            .where(ClothingClaim.quarter == quarter, ClothingClaim.slot.is_not(None))
            .group_by(ClothingClaim.beneficiary_id)
        )
    }
    people = session.scalars(
        select(Beneficiary).where(Beneficiary.status == "active").order_by(Beneficiary.name)
    )
    out = []
    for person in people:
        used = used_by.get(person.id, 0)
        if used < allowed:
            out.append(UnusedAllowance(person.id, person.name, person.category, used, allowed))
    return out


def given_between(session: Session, start: datetime, end: datetime) -> int:
    """Clothing items handed out between two instants (end exclusive), net of returns: claims
    taken then (at the counter and at events) less claims given back then (the fund statement's
    `clothing_items`, handed to cards as its `clothing_given` hook)."""
    taken = session.scalar(
        select(func.count())
        .select_from(ClothingClaim)
        .where(ClothingClaim.taken_at >= start, ClothingClaim.taken_at < end)
    )
    returned = session.scalar(
        select(func.count())
        .select_from(ClothingClaim)
        .where(ClothingClaim.released_at >= start, ClothingClaim.released_at < end)
    )
    return int(taken or 0) - int(returned or 0)


def in_and_out_by_quarter(
    intake: list[IntakeTotal], given: list[GivenTotal]
) -> tuple[list[str], list[int], list[int]]:
    """Quarters (oldest first, at most the last eight), items sorted in and items given out."""
    sorted_in: dict[str, int] = {}
    for row in intake:
        quarter = str(Month.parse(row.month).quarter)
        sorted_in[quarter] = sorted_in.get(quarter, 0) + row.items
    out = {g.quarter: g.total for g in given}
    quarters = sorted(set(sorted_in) | set(out))[-8:]
    return quarters, [sorted_in.get(q, 0) for q in quarters], [out.get(q, 0) for q in quarters]
