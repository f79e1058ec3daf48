"""Recording 衣暖人心 intake: compare a parsed file with what is recorded (a batch recorded with
the same content is skipped, with other content refused), then record every new batch, all or
nothing, its sorted items becoming stock (donation receipts) of clothing products.

Plain functions that take a session, flush and never commit. Reading the file is `intake_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from clothing_exchange.models import ClothingIntakeBatch, ClothingIntakeLine
from clothing_exchange.services.intake_file import IntakeFile, IntakeRow, RowProblem, to_milli
from clothing_exchange.services.stock import clothing_product
from core.auth import Actor
from core.config import Settings
from core.errors import ValidationError
from inventory.services.stock import record_movement


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
