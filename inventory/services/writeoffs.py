"""Write-offs: goods that left the shelf unsold (expired, broken, spoiled, lost), taken out of
stock with the reason."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from core.auth import Actor
from core.errors import ValidationError
from inventory.models import Product, StockMovement
from inventory.services.stock import record_movement

# The reasons the back-office page offers; the API and the command line take any text.
WRITEOFF_REASONS = ("过期", "破损", "变质", "丢失", "其他")


def write_off(
    session: Session,
    product: Product,
    qty: Decimal,
    *,
    reason: str,
    at: datetime,
    actor: Actor,
) -> StockMovement:
    """Take `qty` (a positive quantity) of `product` out of stock as a `writeoff` movement; the
    reason is required."""
    if not reason.strip():
        raise ValidationError(f"商品 {product.name} 报损需要填写原因")
    return record_movement(session, product, -qty, "writeoff", at=at, actor=actor, reason=reason)
