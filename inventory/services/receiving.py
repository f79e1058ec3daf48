"""Receiving goods into stock: a purchase (a unit cost, a supplier) or a donation (a donor and what
the goods are worth). The receiving page, the API, the command line, the catalog import and the
demo all book receipts here, so a donation's value means one thing everywhere."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from core.auth import Actor
from core.errors import ValidationError
from core.money import Money
from inventory.models import Product, StockMovement
from inventory.services.pricing import line_amount
from inventory.services.stock import record_movement


def donation_value(unit_value: Money, qty: Decimal) -> Money:
    """What a donated line is worth: the value of one unit times the quantity, rounded half up to
    the fen (2.5 kg donated at 4.00 a kg is worth 10.00)."""
    return line_amount(unit_value, qty)


def receive_stock(
    session: Session,
    product: Product,
    qty: Decimal,
    *,
    at: datetime,
    actor: Actor,
    unit_cost: Money | None = None,
    supplier: str | None = None,
    donor: str | None = None,
    estimated_value: Money | None = None,
    reference: str | None = None,
    reason: str | None = None,
) -> StockMovement:
    """Book `qty` of `product` received, as one receipt movement.

    A receipt naming a `donor` is a donation (a donor given as blank text is refused: a donation
    says who gave it). Its `unit_cost` is the estimated value of one unit; the line is worth
    `donation_value(unit_cost, qty)`, or `estimated_value` when the whole line's value is given
    instead (both given must agree). A donation has no purchase cost and no supplier.

    Otherwise it is a purchase: `unit_cost` is what one unit cost, from `supplier`; a purchase has
    no estimated value. `reason` defaults to 采购入库 / 捐赠入库."""
    if donor is None:
        if estimated_value is not None:
            raise ValidationError("估值只用于捐赠入库（请填写捐赠方）")
        return record_movement(
            session,
            product,
            qty,
            "receipt",
            at=at,
            actor=actor,
            reference=reference,
            reason=reason or "采购入库",
            unit_cost=unit_cost,
            supplier=supplier,
        )
    if not donor.strip():
        raise ValidationError("捐赠入库请填写捐赠方")
    if supplier is not None and supplier.strip():
        raise ValidationError("捐赠入库不填供应商")
    value = estimated_value
    if unit_cost is not None:
        value = donation_value(unit_cost, qty)
        if estimated_value is not None and estimated_value != value:
            raise ValidationError(
                f"捐赠估值 {estimated_value} 与单件估值 {unit_cost} × 数量 {qty} = {value} 不符"
            )
    return record_movement(
        session,
        product,
        qty,
        "receipt",
        at=at,
        actor=actor,
        reference=reference,
        reason=reason or "捐赠入库",
        donor=donor,
        estimated_value=value,
    )
