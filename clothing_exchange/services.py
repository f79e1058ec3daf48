"""Domain rules of the clothing exchange: the quarterly allowance and claims (called by checkout
inside the sale's transaction), give-away events, and recording 衣暖人心 intake as stock.

Plain functions that take a session, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cards import hooks
from cards.models import Beneficiary
from cards.services import ClothingStatus
from clothing_exchange.intake import IntakeFile, IntakeRow, RowProblem, to_milli
from clothing_exchange.models import (
    ClothingClaim,
    ClothingEvent,
    ClothingEventTotal,
    ClothingIntakeBatch,
    ClothingIntakeLine,
    ClothingProduct,
)
from core.auth import Actor
from core.config import Settings
from core.errors import (
    BeneficiaryInactive,
    ClothingQuotaExceeded,
    NotFound,
    ValidationError,
)
from core.money import Money
from core.periods import Quarter
from inventory.models import Product
from inventory.services import ensure_product, record_movement

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


# --- what checkout and the card page call -------------------------------------------------------

# The settings the app runs with (set by `configure`, from init_app); defaults otherwise.
_configured: Settings | None = None


def configure(settings: Settings | None) -> None:
    """Remember the running app's settings for `status_for` in its 3-argument (provider) form."""
    global _configured
    _configured = settings


def _settings(settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    return _configured if _configured is not None else Settings()


def status_for(
    session: Session, beneficiary_id: int, at: datetime, *, settings: Settings | None = None
) -> ClothingStatus:
    """The quarter's allowance of one beneficiary, as the card page and the terminal show it."""
    cfg = _settings(settings)
    state = allowance(session, beneficiary_id, at, cfg)
    return ClothingStatus(
        quarter=str(state.quarter),
        allowed=state.allowed,
        used=state.used,
        last_taken_at=state.last_taken_at,
        next_available=state.next_available,
    )


def allowance_for(settings: Settings) -> hooks.ClothingAllowance:
    """The clothing allowance under these settings, as the cards package is handed it (a
    closure; no module state)."""

    def answer(session: Session, beneficiary_id: int, at: datetime) -> hooks.ClothingStatus:
        status = status_for(session, beneficiary_id, at, settings=settings)
        return hooks.ClothingStatus(
            quarter=status.quarter,
            allowed=status.allowed,
            used=status.used,
            last_taken_at=status.last_taken_at,
            next_available=status.next_available,
        )

    return answer


def _active_beneficiary(session: Session, beneficiary_id: int) -> Beneficiary:
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
    _active_beneficiary(session, beneficiary_id)
    return take_allowance(
        session,
        beneficiary_id=beneficiary_id,
        items=wanted,
        at=at,
        actor=actor,
        settings=settings,
        sale_no=sale_no,
    )


# --- 衣暖人心 intake ----------------------------------------------------------------------------

CLOTHING_CATEGORY = "爱心衣物"


@dataclass
class IntakePlan:
    """What an intake file would do: new batches, batches already recorded (skipped), problems."""

    new: list[IntakeRow] = field(default_factory=list)
    known: list[IntakeRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(row.items for row in self.new)

    @property
    def weight_kg(self) -> Decimal:
        return sum((row.weight_kg for row in self.new), Decimal(0))


def plan_intake(session: Session, parsed: IntakeFile) -> IntakePlan:
    """Compare a parsed file with what is recorded: a batch code already recorded with the same
    content is skipped (importing a file twice changes nothing); with other content, refused."""
    plan = IntakePlan(problems=list(parsed.problems))
    codes = [row.batch_code for row in parsed.rows]
    recorded = {
        code: fingerprint
        for code, fingerprint in session.execute(
            select(ClothingIntakeBatch.batch_code, ClothingIntakeBatch.fingerprint).where(
                ClothingIntakeBatch.batch_code.in_(codes)
            )
        )
    }
    for row in parsed.rows:
        known = recorded.get(row.batch_code)
        if known is None:
            plan.new.append(row)
        elif known == row.fingerprint:
            plan.known.append(row)
        else:
            plan.problems.append(
                RowProblem(
                    row.row, "批次", row.batch_code, "该批次已入库，但本行内容与已入库的不同"
                )
            )
    plan.problems.sort(key=lambda p: p.row)
    return plan


def clothing_product(
    session: Session,
    kind: str,
    size: str,
    season: str,
    *,
    at: datetime,
    actor: Actor,
    settings: Settings,
) -> Product:
    """The price-zero clothing product of one kind/size/season (made, with an in-store barcode,
    on first use)."""
    known = session.scalar(
        select(ClothingProduct).where(
            ClothingProduct.kind == kind,
            ClothingProduct.size == size,
            ClothingProduct.season == season,
        )
    )
    if known is not None:
        return known.product
    product = ensure_product(
        session,
        barcode=None,
        name=f"爱心衣物·{kind}",
        spec=f"{size}/{season}",
        unit="件",
        category=CLOTHING_CATEGORY,
        list_price=Money(0),
        discount_rate=None,
        clothing=True,
        source="donated",
        at=at,
        actor=actor,
        settings=settings,
    )
    session.add(
        ClothingProduct(kind=kind, size=size, season=season, product_id=product.id, created_at=at)
    )
    session.flush()
    return product


def record_batch(
    session: Session,
    row: IntakeRow,
    *,
    at: datetime,
    actor: Actor,
    settings: Settings,
    source: str = "",
) -> ClothingIntakeBatch:
    """Record one sorted batch; its items become stock (donation receipts) of clothing products."""
    batch = ClothingIntakeBatch(
        batch_code=row.batch_code,
        intake_date=row.intake_date,
        collection_point=row.collection_point,
        weight_milli=to_milli(row.weight_kg),
        recycled_milli=None if row.recycled_kg is None else to_milli(row.recycled_kg),
        items=row.items,
        fingerprint=row.fingerprint,
        source=source[:200],
        created_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(batch)
    session.flush()
    for line in row.lines:
        product = clothing_product(
            session, line.kind, line.size, line.season, at=at, actor=actor, settings=settings
        )
        session.add(
            ClothingIntakeLine(
                batch_id=batch.id,
                kind=line.kind,
                size=line.size,
                season=line.season,
                count=line.count,
                product_id=product.id,
            )
        )
        record_movement(
            session,
            product,
            Decimal(line.count),
            "receipt",
            at=at,
            actor=actor,
            reference=row.batch_code,
            reason="衣暖人心入库",
            donor=f"衣暖人心·{row.collection_point}"[:100],
        )
    session.flush()
    return batch


def record_intake(
    session: Session,
    parsed: IntakeFile,
    *,
    at: datetime,
    actor: Actor,
    settings: Settings,
    source: str = "",
) -> IntakePlan:
    """Record every new batch of a file, all or nothing: a file with any bad row is refused
    (ValidationError naming the first rows); batches already recorded are skipped."""
    plan = plan_intake(session, parsed)
    if plan.problems:
        shown = "；".join(str(p) for p in plan.problems[:5])
        more = f"（另有 {len(plan.problems) - 5} 处）" if len(plan.problems) > 5 else ""
        raise ValidationError(f"入库文件有 {len(plan.problems)} 处错误，未入库：{shown}{more}")
    for row in plan.new:
        record_batch(session, row, at=at, actor=actor, settings=settings, source=source)
    return plan


# --- give-away events (集中衣物发放) ---------------------------------------------------------------


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
            _active_beneficiary(session, beneficiary_id)
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
