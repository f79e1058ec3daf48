"""Clothing claims: one row per item a beneficiary takes, counted against the quarter's allowance
(at the counter, inside the sale's transaction, or at a give-away event), and given back by a
refund. The database holds the limit: a counted claim takes a free slot 1..items_per_quarter.

Plain functions that take a session, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cards.models import Beneficiary
from clothing_exchange.models import ClothingClaim, ClothingProduct
from clothing_exchange.services.allowance import allowance, quarter_of, quota_message
from core.auth import Actor
from core.config import Settings
from core.errors import BeneficiaryInactive, ClothingQuotaExceeded, NotFound, ValidationError
from inventory.models import Product

# How often a claim is retried after losing a race for a slot (another terminal took it).
_SLOT_RETRIES = 5


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
            if free[0] in _used_slots(session, beneficiary_id, quarter):
                continue  # another terminal took this slot meanwhile: look again
            raise  # not a lost race (a bad reference): a bug, not a refusal
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


def active_beneficiary(session: Session, beneficiary_id: int) -> Beneficiary:
    """The beneficiary who takes clothing: NotFound, or BeneficiaryInactive unless active."""
    person = session.get(Beneficiary, beneficiary_id)
    if person is None:
        raise NotFound(f"救助对象 {beneficiary_id} 不存在")
    if person.status != "active":
        raise BeneficiaryInactive(f"救助对象状态为 {person.status}，不能领取爱心衣物")
    return person


def _kind_of(session: Session, product: Product) -> str:
    kind = session.scalar(
        select(ClothingProduct.kind).where(ClothingProduct.product_id == product.id)
    )
    return kind or product.category or product.name


def claim_for_sale(
    session: Session,
    *,
    beneficiary_id: int,
    items: list[tuple[int, int]],
    sale_no: str,
    at: datetime,
    actor: Actor,
    settings: Settings,
) -> list[ClothingClaim]:
    """Count the clothing lines of a sale ((product_id, qty) each) against the card holder's
    quarter, inside the sale's transaction. All or none: raises ClothingQuotaExceeded (when the
    earlier item was taken, from which date the next is available), also when another terminal
    took the last item at the same moment; BeneficiaryInactive for a suspended or exited person."""
    wanted: list[tuple[str, int | None]] = []
    for product_id, qty in items:
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 0:
            raise ValidationError(f"衣物件数应为非负整数，实际为 {qty!r}")
        product = session.get(Product, product_id)
        if product is None:
            raise NotFound(f"商品 {product_id} 不存在")
        if not product.clothing:
            raise ValidationError(f"商品 {product.name}（{product.barcode}）不是爱心衣物")
        wanted.extend([(_kind_of(session, product), product.id)] * qty)
    if not wanted:
        return []
    active_beneficiary(session, beneficiary_id)
    return take_allowance(
        session,
        beneficiary_id=beneficiary_id,
        items=wanted,
        at=at,
        actor=actor,
        settings=settings,
        sale_no=sale_no,
    )
