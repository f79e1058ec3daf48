"""Prices of products: the discount rates a product may have (the configured range, by category
by default) and dated price changes, so that a sale keeps the prices it was made at. Every
change of a list price or rate is also a `price_change` audit event, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.auth import Actor
from core.config import DiscountSettings
from core.errors import ValidationError
from core.money import Money
from inventory.models import Product, ProductPrice
from inventory.services.pricing import format_rate, rate_from_bp, rate_to_bp


def validate_rate(rate: Decimal, discount: DiscountSettings, *, what: str = "折扣率") -> int:
    """The rate as basis points, or ValidationError when outside [min_rate, max_rate]."""
    bp = rate_to_bp(rate, what=what)
    if not discount.min_rate <= rate <= discount.max_rate:
        raise ValidationError(
            f"{what} {format_rate(rate)} 超出允许范围 [{format_rate(discount.min_rate)}, {format_rate(discount.max_rate)}]"
        )
    return bp


def default_rate(category: str, discount: DiscountSettings) -> Decimal:
    """The rate of a product saved without one: by category, else `discount.default_rate`."""
    return discount.by_category.get(category, discount.default_rate)


def check_list_price(name: str, list_price: Money, *, clothing: bool) -> None:
    """A list price is not negative, and zero only for clothing (given away on the allowance)."""
    if list_price.fen < 0:
        raise ValidationError(f"商品 {name} 的标价 {list_price} 不能为负数")
    if list_price.fen == 0 and not clothing:
        raise ValidationError(f"商品 {name} 的标价不能为 0")


def record_price(
    session: Session, product: Product, *, at: datetime, actor: Actor, reason: str
) -> ProductPrice:
    """Write the product's current list price and rate as the price row in force from `at`."""
    row = ProductPrice(
        product_id=product.id,
        list_price_fen=product.list_price_fen,
        discount_bp=product.discount_bp,
        effective_at=at,
        reason=reason,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(row)
    return row


def change_price(
    session: Session,
    product: Product,
    *,
    list_price: Money | None,
    discount_rate: Decimal | None,
    reason: str,
    at: datetime,
    actor: Actor,
    discount: DiscountSettings,
    address: str = "",
) -> list[str]:
    """A new list price and/or discount rate, as a dated price row and a `price_change` audit
    event (None: unchanged). The price is refused below zero (zero only for clothing), the rate
    outside the configured range. Returns what changed, in words (empty when nothing did: no
    row is written)."""
    new_fen = product.list_price_fen if list_price is None else list_price.fen
    check_list_price(product.name, Money(new_fen), clothing=product.clothing)
    new_bp = product.discount_bp
    if discount_rate is not None:
        new_bp = validate_rate(discount_rate, discount, what=f"商品 {product.name} 的折扣率")
    changed: list[str] = []
    if new_fen != product.list_price_fen:
        changed.append(f"标价 {product.list_price} → {Money(new_fen)}")
    if new_bp != product.discount_bp:
        changed.append(
            f"折扣率 {format_rate(product.discount_rate)} → {format_rate(rate_from_bp(new_bp))}"
        )
    if changed:
        detail: dict[str, object] = {"name": product.name, "reason": reason or "调价"}
        if new_fen != product.list_price_fen:
            detail["list_price"] = [str(product.list_price), str(Money(new_fen))]
        if new_bp != product.discount_bp:
            detail["discount_rate"] = [
                format_rate(product.discount_rate),
                format_rate(rate_from_bp(new_bp)),
            ]
        product.list_price_fen = new_fen
        product.discount_bp = new_bp
        product.updated_at = at
        record_price(session, product, at=at, actor=actor, reason=reason or "调价")
        audit.record(
            session,
            "price_change",
            actor=actor,
            at=at,
            subject=f"product:{product.barcode}",
            detail=detail,
            address=address,
        )
    session.flush()
    return changed


def price_history(session: Session, product: Product) -> Sequence[ProductPrice]:
    """Every dated price of a product, oldest first."""
    return session.scalars(
        select(ProductPrice)
        .where(ProductPrice.product_id == product.id)
        .order_by(ProductPrice.effective_at, ProductPrice.id)
    ).all()


def price_at(session: Session, product: Product, at: datetime) -> ProductPrice | None:
    """The price row in force at `at`."""
    return session.scalar(
        select(ProductPrice)
        .where(ProductPrice.product_id == product.id, ProductPrice.effective_at <= at)
        .order_by(ProductPrice.effective_at.desc(), ProductPrice.id.desc())
        .limit(1)
    )
