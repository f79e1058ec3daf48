"""The catalog's products: saving a new one (its barcode checked or an in-store code allocated, its
rate defaulted and checked, its first price row written), editing one, and finding them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, UnknownProduct, ValidationError
from core.money import Money
from inventory.models import SOURCES, Product
from inventory.services.prices import (
    change_price,
    check_list_price,
    default_rate,
    record_price,
    validate_rate,
)
from inventory.services.pricing import format_qty, qty_to_milli, rate_to_bp
from inventory.services.scale import instore_code, validate_barcode

_DEFAULTS = Settings()


def get_product(session: Session, barcode: str) -> Product | None:
    """The product with exactly this barcode (indexed), or None."""
    return session.scalar(select(Product).where(Product.barcode == barcode.strip()))


def require_product(session: Session, barcode: str) -> Product:
    """The product with this barcode, or UnknownProduct naming the code."""
    product = get_product(session, barcode)
    if product is None:
        raise UnknownProduct(f"未找到条码为 {barcode.strip() or '（空）'} 的商品")
    return product


def next_instore_code(session: Session, settings: Settings | None = None) -> str:
    """The next unused in-store EAN-13 (`inventory.instore_prefix` + sequence + check digit)."""
    prefix = (settings or _DEFAULTS).inventory.instore_prefix
    highest = session.scalar(
        select(func.max(Product.barcode)).where(
            Product.barcode.like(f"{prefix}%"), func.length(Product.barcode) == 13
        )
    )
    number = int(highest[2:12]) + 1 if highest else 1
    return instore_code(prefix, number)


def next_plu(session: Session, settings: Settings | None = None) -> str:
    """The next unused scale item code."""
    digits = (settings or _DEFAULTS).inventory.scale_item_digits
    highest = session.scalar(select(func.max(Product.plu)))
    number = int(highest) + 1 if highest else 1
    if number >= 10**digits:
        raise Conflict("电子秤商品码已用完")
    return f"{number:0{digits}d}"


def _check_fields(name: str, unit: str, source: str) -> None:
    if not name.strip():
        raise ValidationError("品名不能为空")
    if len(name.strip()) > 100:
        raise ValidationError(f"品名 {name[:20]}… 超过 100 个字符")
    if not unit.strip():
        raise ValidationError(f"商品 {name} 的单位不能为空")
    if source not in SOURCES:
        raise ValidationError(f"来源 {source!r} 无效，应为 采购（purchased）或 捐赠（donated）")


def create_product(
    session: Session,
    *,
    barcode: str | None,
    name: str,
    spec: str = "",
    unit: str,
    category: str = "",
    list_price: Money,
    discount_rate: Decimal | None = None,
    source: str = "purchased",
    clothing: bool = False,
    weighed: bool = False,
    reorder_level: Decimal = Decimal(0),
    plu: str | None = None,
    at: datetime,
    actor: Actor,
    settings: Settings | None = None,
) -> Product:
    """Save a new product: barcode checked (None: the next in-store code), the rate defaulted by
    category then `discount.default_rate` and refused outside the configured range (a clothing
    item at price zero takes the default, unchecked), the first price row written."""
    cfg = settings or _DEFAULTS
    _check_fields(name, unit, source)
    check_list_price(name, list_price, clothing=clothing)
    code = next_instore_code(session, cfg) if barcode is None else barcode.strip()
    code = validate_barcode(code, cfg.inventory)
    if get_product(session, code) is not None:
        raise Conflict(f"条码 {code} 已存在")
    if discount_rate is None:
        bp = rate_to_bp(default_rate(category, cfg.discount))
    elif clothing and list_price.fen == 0:
        bp = rate_to_bp(discount_rate)
    else:
        bp = validate_rate(discount_rate, cfg.discount, what=f"商品 {name} 的折扣率")
    if weighed and plu is None:
        plu = next_plu(session, cfg)
    product = Product(
        barcode=code,
        plu=plu,
        name=name.strip(),
        spec=spec.strip(),
        unit=unit.strip(),
        category=category.strip(),
        list_price_fen=list_price.fen,
        discount_bp=bp,
        source=source,
        active=True,
        reorder_level_milli=qty_to_milli(reorder_level, whole=not weighed, what="预警库存"),
        clothing=clothing,
        weighed=weighed,
        stock_milli=0,
        created_at=at,
        updated_at=at,
    )
    session.add(product)
    session.flush()
    record_price(session, product, at=at, actor=actor, reason="新建商品")
    session.flush()
    return product


def ensure_product(
    session: Session,
    *,
    barcode: str | None,
    name: str,
    spec: str,
    unit: str,
    category: str,
    list_price: Money,
    discount_rate: Decimal | None,
    clothing: bool,
    source: str,
    at: datetime,
    actor: Actor,
    weighed: bool = False,
    settings: Settings | None = None,
) -> Product:
    """The product with `barcode` if it exists (unchanged), else a new one (barcode None: the next
    in-store code). Clothing may have a zero list price."""
    if barcode is not None:
        existing = get_product(session, barcode)
        if existing is not None:
            return existing
    return create_product(
        session,
        barcode=barcode,
        name=name,
        spec=spec,
        unit=unit,
        category=category,
        list_price=list_price,
        discount_rate=discount_rate,
        source=source,
        clothing=clothing,
        weighed=weighed,
        at=at,
        actor=actor,
        settings=settings,
    )


def update_product(
    session: Session,
    product: Product,
    *,
    at: datetime,
    actor: Actor,
    settings: Settings | None = None,
    reason: str = "",
    list_price: Money | None = None,
    discount_rate: Decimal | None = None,
    name: str | None = None,
    spec: str | None = None,
    unit: str | None = None,
    category: str | None = None,
    source: str | None = None,
    active: bool | None = None,
    clothing: bool | None = None,
    reorder_level: Decimal | None = None,
    address: str = "",
) -> list[str]:
    """Edit a product (None: unchanged). A new list price or rate is a dated price row and an
    audit event (`change_price`). Returns what changed, in words (empty when nothing did)."""
    changed: list[str] = []
    texts = {"name": name, "spec": spec, "unit": unit, "category": category, "source": source}
    for key, text in texts.items():
        if text is not None and getattr(product, key) != text.strip():
            setattr(product, key, text.strip())
            changed.append(f"{key} → {text.strip()}")
    if active is not None and product.active != active:
        product.active = active
        changed.append(f"active → {active}")
    if clothing is not None and product.clothing != clothing:
        product.clothing = clothing
        changed.append(f"clothing → {clothing}")
    if reorder_level is not None:
        milli = qty_to_milli(reorder_level, whole=not product.weighed, what="预警库存")
        if milli != product.reorder_level_milli:
            product.reorder_level_milli = milli
            changed.append(f"预警库存 → {format_qty(milli)}")
    _check_fields(product.name, product.unit, product.source)
    changed += change_price(
        session,
        product,
        list_price=list_price,
        discount_rate=discount_rate,
        reason=reason,
        at=at,
        actor=actor,
        discount=(settings or _DEFAULTS).discount,
        address=address,
    )
    if changed:
        product.updated_at = at
    session.flush()
    return changed


def search_products(
    session: Session,
    text: str = "",
    *,
    clothing: bool | None = None,
    active_only: bool = True,
    category: str | None = None,
    limit: int = 50,
) -> Sequence[Product]:
    """Products whose name, spec or barcode contains `text` (barcode prefix hits first)."""
    query = select(Product)
    text = text.strip()
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        query = query.where(
            or_(Product.barcode.like(f"{text}%"), Product.name.like(like), Product.spec.like(like))
        )
    if clothing is not None:
        query = query.where(Product.clothing.is_(clothing))
    if active_only:
        query = query.where(Product.active.is_(True))
    if category:
        query = query.where(Product.category == category)
    return session.scalars(query.order_by(Product.category, Product.name).limit(limit)).all()


def products_by_ids(session: Session, ids: Iterable[int]) -> Sequence[Product]:
    """The products with these ids, by category and name."""
    return session.scalars(
        select(Product).where(Product.id.in_(list(ids))).order_by(Product.category, Product.name)
    ).all()
