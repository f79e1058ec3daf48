"""Stocktakes: the counted quantity is entered, and the difference from the book stock becomes a
`count` movement carrying the reason."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.errors import ValidationError
from inventory.models import Product, StockMovement
from inventory.services.pricing import format_qty, qty_to_milli
from inventory.services.stock import record_movement


def count_stock(
    session: Session,
    product: Product,
    counted: Decimal,
    *,
    reason: str,
    at: datetime,
    actor: Actor,
    reference: str | None = None,
) -> StockMovement | None:
    """A stocktake line: the counted quantity is entered, the difference from the book stock is
    recorded as a `count` movement with the reason (None when the count agrees)."""
    counted_milli = qty_to_milli(
        counted, whole=not product.weighed, what=f"{product.name} 的盘点数"
    )
    if counted_milli < 0:
        raise ValidationError(f"商品 {product.name} 的盘点数不能为负数：{counted}")
    if not (reason or "").strip():
        raise ValidationError(f"商品 {product.name} 的盘点差异需要填写原因")
    current = session.scalar(
        select(Product.stock_milli).where(Product.id == product.id).with_for_update()
    )
    difference = counted_milli - (current or 0)
    if difference == 0:
        return None
    return record_movement(
        session,
        product,
        Decimal(difference) / 1000,
        "count",
        at=at,
        actor=actor,
        reason=f"盘点：账面 {format_qty(current or 0)}，实盘 {format_qty(counted_milli)}；{reason.strip()}",
        reference=reference,
    )
