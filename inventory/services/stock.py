"""Stock movements: the only way stock ever changes (DESIGN rule 2). Each is one signed,
append-only row, and the product's cached level moves with it in the same transaction; a check
proves every level equals the sum of its movements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.checks import CheckResult
from core.errors import Conflict, ValidationError
from core.money import Money
from inventory.models import MOVEMENT_KINDS, Product, StockMovement
from inventory.services.pricing import format_qty, qty_to_milli

_SIGNS = {"receipt": 1, "sale": -1, "refund": 1, "writeoff": -1, "count": 0}


def record_movement(
    session: Session,
    product: Product,
    qty: Decimal,
    kind: str,
    *,
    at: datetime,
    actor: Actor,
    reference: str | None = None,
    reason: str | None = None,
    unit_cost: Money | None = None,
    supplier: str | None = None,
    donor: str | None = None,
    estimated_value: Money | None = None,
    block_negative: bool = False,
) -> StockMovement:
    """Append one signed movement and move the cached level in the same transaction (one atomic
    UPDATE, so concurrent terminals add up). Receipts and refunds are positive, sales and
    write-offs negative, count corrections either. With `block_negative`, a sale that would take
    stock below zero is refused (Conflict)."""
    if kind not in MOVEMENT_KINDS:
        raise ValidationError(f"库存变动类型 {kind!r} 无效，可选：{', '.join(MOVEMENT_KINDS)}")
    milli = qty_to_milli(qty, whole=not product.weighed, what=f"商品 {product.name} 的数量")
    if milli == 0:
        raise ValidationError(f"商品 {product.name} 的库存变动数量不能为 0")
    sign = _SIGNS[kind]
    if sign and (milli > 0) != (sign > 0):
        word = "正数" if sign > 0 else "负数"
        raise ValidationError(f"{kind} 的数量应为{word}，实际为 {qty}（商品 {product.name}）")
    if kind == "sale" and block_negative:
        current = session.scalar(
            select(Product.stock_milli).where(Product.id == product.id).with_for_update()
        )
        if current is not None and current + milli < 0:
            raise Conflict(
                f"商品 {product.name}（{product.barcode}）库存不足：现有 {format_qty(current)}"
                f"{product.unit}，本次需要 {format_qty(-milli)}{product.unit}"
            )
    movement = StockMovement(
        product_id=product.id,
        kind=kind,
        qty_milli=milli,
        unit_cost_fen=None if unit_cost is None else unit_cost.fen,
        supplier=(supplier or "").strip() or None,
        donor=(donor or "").strip() or None,
        estimated_value_fen=None if estimated_value is None else estimated_value.fen,
        reason=(reason or "").strip() or None,
        reference=reference,
        at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(movement)
    # An SQL expression, not a read-modify-write: the database adds it under its own row lock.
    product.stock_milli = Product.stock_milli + milli
    session.flush()
    session.refresh(product, ["stock_milli"])
    return movement


def movements_of(
    session: Session, product: Product, *, limit: int = 500
) -> Sequence[StockMovement]:
    """A product's movements, newest first."""
    return session.scalars(
        select(StockMovement)
        .where(StockMovement.product_id == product.id)
        .order_by(StockMovement.at.desc(), StockMovement.id.desc())
        .limit(limit)
    ).all()


def verify_stock(session: Session) -> CheckResult:
    """Every cached stock level equals the sum of its movements (rule 2)."""
    sums = (
        select(StockMovement.product_id, func.sum(StockMovement.qty_milli).label("total"))
        .group_by(StockMovement.product_id)
        .subquery()
    )
    rows = session.execute(
        select(Product.barcode, Product.name, Product.stock_milli, sums.c.total).outerjoin(
            sums, sums.c.product_id == Product.id
        )
    ).all()
    problems = [
        f"商品 {barcode} {name}：库存 {format_qty(cached)}，流水合计 {format_qty(int(total or 0))}"
        for barcode, name, cached, total in rows
        if cached != int(total or 0)
    ]
    movements = session.scalar(select(func.count(StockMovement.id))) or 0
    return CheckResult(
        summary=f"库存：{len(rows)} 个商品，{movements} 条库存流水，{len(problems)} 处不符",
        problems=problems,
    )
