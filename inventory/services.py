"""Domain rules of the inventory package: plain functions that take a session, flush, never commit.

Products and their charity price (DESIGN rule 8), dated price changes, barcode lookup (scale
barcodes included), and stock movements: the only way stock ever changes (rule 2)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.checks import CheckResult
from core.config import Settings
from core.errors import Conflict, UnknownProduct, ValidationError
from core.money import Money
from inventory.models import MOVEMENT_KINDS, SOURCES, Product, ProductPrice, StockMovement
from inventory.pricing import (
    charity_unit_price,
    format_qty,
    format_rate,
    qty_to_milli,
    rate_from_bp,
    rate_to_bp,
)
from inventory.scale import instore_code, parse_scale_code, validate_barcode

__all__ = [
    "LinePrice",
    "Scan",
    "charity_unit_price",
    "count_stock",
    "ensure_product",
    "lookup",
    "price_line",
    "price_scan",
    "record_movement",
    "update_product",
    "verify_stock",
]

_DEFAULTS = Settings()


def _cfg(settings: Settings | None) -> Settings:
    return settings if settings is not None else _DEFAULTS


# --- the price rule ------------------------------------------------------------------------


@dataclass(frozen=True)
class LinePrice:
    """A line's prices: unit list and unit price, the totals, and the discount shown."""

    unit_list: Money
    unit_price: Money
    list_total: Money
    total: Money
    discount: Money


def _times(unit: Money, qty: Decimal) -> Money:
    if qty == qty.to_integral_value():
        return unit * int(qty)
    return unit.multiply(qty)  # weighed goods: rounded half up to the fen


def price_line(product: Product, qty: Decimal, *, charity: bool) -> LinePrice:
    """A line of `qty` of `product`: the unit charity price (when `charity`) times the quantity,
    rounded half up to the fen for weighed goods; discount = list total - total."""
    qty_to_milli(qty, whole=not product.weighed)
    qty = Decimal(qty)
    unit_list = product.list_price
    unit_price = charity_unit_price(unit_list, product.discount_rate) if charity else unit_list
    list_total = _times(unit_list, qty)
    total = _times(unit_price, qty)
    return LinePrice(unit_list, unit_price, list_total, total, list_total - total)


def validate_rate(rate: Decimal, settings: Settings | None = None, *, what: str = "折扣率") -> int:
    """The rate as basis points, or ValidationError when outside [min_rate, max_rate]."""
    d = _cfg(settings).discount
    bp = rate_to_bp(rate, what=what)
    if not d.min_rate <= rate <= d.max_rate:
        raise ValidationError(
            f"{what} {format_rate(rate)} 超出允许范围 [{format_rate(d.min_rate)}, {format_rate(d.max_rate)}]"
        )
    return bp


def default_rate(category: str, settings: Settings | None = None) -> Decimal:
    """The rate of a product saved without one: by category, else `discount.default_rate`."""
    d = _cfg(settings).discount
    return d.by_category.get(category, d.default_rate)


# --- products --------------------------------------------------------------------------------


def get_product(session: Session, barcode: str) -> Product | None:
    """The product with exactly this barcode (indexed), or None."""
    return session.scalar(select(Product).where(Product.barcode == barcode.strip()))


def next_instore_code(session: Session, settings: Settings | None = None) -> str:
    """The next unused in-store EAN-13 (`inventory.instore_prefix` + sequence + check digit)."""
    prefix = _cfg(settings).inventory.instore_prefix
    highest = session.scalar(
        select(func.max(Product.barcode)).where(
            Product.barcode.like(f"{prefix}%"), func.length(Product.barcode) == 13
        )
    )
    number = int(highest[2:12]) + 1 if highest else 1
    return instore_code(prefix, number)


def next_plu(session: Session, settings: Settings | None = None) -> str:
    """The next unused scale item code."""
    digits = _cfg(settings).inventory.scale_item_digits
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


def _check_price(name: str, list_price: Money, *, clothing: bool) -> None:
    if list_price.fen < 0:
        raise ValidationError(f"商品 {name} 的标价 {list_price} 不能为负数")
    if list_price.fen == 0 and not clothing:
        raise ValidationError(f"商品 {name} 的标价不能为 0")


def _price_row(product: Product, *, at: datetime, actor: Actor, reason: str) -> ProductPrice:
    return ProductPrice(
        product_id=product.id,
        list_price_fen=product.list_price_fen,
        discount_bp=product.discount_bp,
        effective_at=at,
        reason=reason,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )


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
    cfg = _cfg(settings)
    _check_fields(name, unit, source)
    _check_price(name, list_price, clothing=clothing)
    code = next_instore_code(session, cfg) if barcode is None else barcode.strip()
    code = validate_barcode(code, cfg.inventory)
    if get_product(session, code) is not None:
        raise Conflict(f"条码 {code} 已存在")
    if discount_rate is None:
        bp = rate_to_bp(default_rate(category, cfg))
    elif clothing and list_price.fen == 0:
        bp = rate_to_bp(discount_rate)
    else:
        bp = validate_rate(discount_rate, cfg, what=f"商品 {name} 的折扣率")
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
    session.add(_price_row(product, at=at, actor=actor, reason="新建商品"))
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
    **fields: object,
) -> list[str]:
    """Change a product; a new list price or rate is a dated price row (a sale keeps the prices it
    was made at). `fields`: name, spec, unit, category, source, active, clothing, reorder_level.
    Returns what changed, in words (empty when nothing did)."""
    cfg = _cfg(settings)
    changed: list[str] = []
    allowed = {"name", "spec", "unit", "category", "source", "active", "clothing", "reorder_level"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能修改的字段：{', '.join(sorted(unknown))}")
    for key, value in fields.items():
        if key == "reorder_level":
            milli = qty_to_milli(value, whole=not product.weighed, what="预警库存")  # type: ignore[arg-type]
            if milli != product.reorder_level_milli:
                product.reorder_level_milli = milli
                changed.append(f"预警库存 → {format_qty(milli)}")
        elif isinstance(value, str):
            value = value.strip()
            if getattr(product, key) != value:
                setattr(product, key, value)
                changed.append(f"{key} → {value}")
        elif getattr(product, key) != value:
            setattr(product, key, value)
            changed.append(f"{key} → {value}")
    _check_fields(product.name, product.unit, product.source)
    new_fen = product.list_price_fen if list_price is None else list_price.fen
    _check_price(product.name, Money(new_fen), clothing=product.clothing)
    new_bp = product.discount_bp
    if discount_rate is not None:
        new_bp = validate_rate(discount_rate, cfg, what=f"商品 {product.name} 的折扣率")
    if (new_fen, new_bp) != (product.list_price_fen, product.discount_bp):
        if new_fen != product.list_price_fen:
            changed.append(f"标价 {product.list_price} → {Money(new_fen)}")
        if new_bp != product.discount_bp:
            changed.append(
                f"折扣率 {format_rate(product.discount_rate)} → {format_rate(rate_from_bp(new_bp))}"
            )
        product.list_price_fen = new_fen
        product.discount_bp = new_bp
        session.add(_price_row(product, at=at, actor=actor, reason=reason or "调价"))
    if changed:
        product.updated_at = at
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


# --- lookup ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """What a scanned code means: the product, and for scale barcodes the weight and/or amount."""

    product: Product
    qty: Decimal | None
    amount: Money | None


def lookup(session: Session, code: str, *, settings: Settings | None = None) -> Scan:
    """The product behind a scanned code: its own barcode first (an index hit), else a scale
    barcode by the `[inventory]` layout. A price-carrying scale code also gets the weight it
    implies (amount / price per kg, three decimals). Unknown: UnknownProduct naming the code."""
    text = (code or "").strip()
    product = get_product(session, text) if text else None
    if product is not None:
        return Scan(product=product, qty=None, amount=None)
    parsed = parse_scale_code(text, _cfg(settings).inventory) if text else None
    if parsed is not None:
        product = session.scalar(select(Product).where(Product.plu == parsed.plu))
        if product is None:
            raise UnknownProduct(f"电子秤条码 {text} 的商品码 {parsed.plu} 未登记")
        qty = parsed.weight
        if qty is None and parsed.amount is not None and product.list_price_fen > 0:
            qty = (Decimal(parsed.amount.fen) / product.list_price_fen).quantize(
                Decimal("0.001"), rounding=ROUND_HALF_UP
            )
        return Scan(product=product, qty=qty, amount=parsed.amount)
    raise UnknownProduct(f"未找到条码为 {text or '（空）'} 的商品")


def price_scan(scan: Scan, *, charity: bool) -> LinePrice:
    """A line for a scan. A scale label that printed an amount is the list total as printed;
    the charity total is that amount times (1 - rate), half up. Otherwise `price_line(qty)`."""
    product = scan.product
    if scan.amount is None:
        return price_line(
            product, scan.qty if scan.qty is not None else Decimal(1), charity=charity
        )
    unit_list = product.list_price
    unit_price = charity_unit_price(unit_list, product.discount_rate) if charity else unit_list
    list_total = scan.amount
    total = charity_unit_price(list_total, product.discount_rate) if charity else list_total
    return LinePrice(unit_list, unit_price, list_total, total, list_total - total)


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


# --- stock -----------------------------------------------------------------------------------

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


def low_stock(session: Session) -> Sequence[Product]:
    """Active products at or below their reorder level (those with a level set)."""
    return session.scalars(
        select(Product)
        .where(
            Product.active.is_(True),
            Product.reorder_level_milli > 0,
            Product.stock_milli <= Product.reorder_level_milli,
        )
        .order_by(Product.category, Product.name)
    ).all()


def negative_stock(session: Session) -> Sequence[Product]:
    """Products the system thinks are below zero (sold before they were received or counted)."""
    return session.scalars(
        select(Product).where(Product.stock_milli < 0).order_by(Product.stock_milli)
    ).all()


def received_between(session: Session, start: datetime, end: datetime) -> Sequence[Product]:
    """Products with a receipt movement in [start, end)."""
    ids = select(StockMovement.product_id).where(
        StockMovement.kind == "receipt", StockMovement.at >= start, StockMovement.at < end
    )
    return session.scalars(
        select(Product).where(Product.id.in_(ids)).order_by(Product.category, Product.name)
    ).all()


def local_day(day: date, settings: Settings | None = None) -> tuple[datetime, datetime]:
    """The instants [start, end) of a calendar day in the store's timezone."""
    tz = _cfg(settings).tz
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def products_by_ids(session: Session, ids: Iterable[int]) -> Sequence[Product]:
    return session.scalars(
        select(Product).where(Product.id.in_(list(ids))).order_by(Product.category, Product.name)
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
