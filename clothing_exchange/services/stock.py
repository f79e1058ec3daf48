"""Clothing stock: the price-zero inventory product that stocks each kind/size/season (made on
first intake), and what is on the shelf by kind, size and season. The stock itself is inventory's
(stock movements); this package only knows which products are clothing of which kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clothing_exchange.models import ClothingProduct
from core.auth import Actor
from core.config import Settings
from core.money import Money
from inventory.models import Product
from inventory.services.products import ensure_product

CLOTHING_CATEGORY = "爱心衣物"


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


@dataclass(frozen=True)
class StockLine:
    """One clothing product on the shelf, in whole items."""

    kind: str
    size: str
    season: str
    barcode: str
    product_id: int
    stock: int


def clothing_stock(session: Session, settings: Settings) -> list[StockLine]:
    """Clothing stock by kind (in the configured order), size and season."""
    order = {kind: i for i, kind in enumerate(settings.clothing.kinds)}
    rows = session.execute(
        select(ClothingProduct, Product.barcode, Product.stock_milli).join(
            Product, Product.id == ClothingProduct.product_id
        )
    )
    lines = [
        StockLine(cp.kind, cp.size, cp.season, barcode, cp.product_id, stock // 1000)
        for cp, barcode, stock in rows
    ]
    return sorted(lines, key=lambda s: (order.get(s.kind, len(order)), s.kind, s.size, s.season))
