"""Catalog import (`charity products import`): a .csv (UTF-8, GBK or GB18030), .xlsx, .xls or .ods
catalog (read by `core.tabular`) with the Chinese headers of ../shared/data/products.csv (English accepted), checked whole, previewed,
applied all or nothing. New products get their opening stock as a receipt movement; known
barcodes get price changes as dated price rows; an identical file changes nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import Settings
from core.errors import DomainError, ValidationError
from core.fields import FieldError, parse_amount, parse_quantity
from core.money import Money
from core.tabular import Column, Columns, open_table
from core.text import formula_like
from inventory.models import Product
from inventory.services.prices import default_rate, validate_rate
from inventory.services.pricing import format_qty, parse_rate, qty_to_milli, rate_to_bp
from inventory.services.products import create_product, update_product
from inventory.services.receiving import receive_stock
from inventory.services.scale import validate_barcode

T = TypeVar("T")

# The catalog's columns: the Chinese headers of products.csv first (their labels), then the
# other spellings accepted, English too.
CATALOG_COLUMNS = Columns(
    Column("barcode", "条码", "条形码", "商品条码", "barcode", "ean", required=True),
    Column("name", "品名", "商品名称", "名称", "name", required=True),
    Column("spec", "规格", "spec", "specification"),
    Column("unit", "单位", "unit", required=True),
    Column("category", "分类", "类别", "category"),
    Column("list_price", "标价", "零售价", "list_price", "price", required=True),
    Column("discount_rate", "慈善折扣率", "折扣率", "discount_rate", "rate"),
    Column("source", "来源", "source"),
    Column("stock", "库存", "期初库存", "stock"),
    Column("reorder_level", "预警库存", "reorder_level"),
    Column("weighed", "称重", "weighed"),
    Column("clothing", "衣物", "clothing"),
)

SOURCE_WORDS = {
    "采购": "purchased",
    "purchased": "purchased",
    "purchase": "purchased",
    "捐赠": "donated",
    "donated": "donated",
    "donation": "donated",
    "": "purchased",
}
TRUE_WORDS = {"是", "1", "true", "yes", "y", "√"}
FALSE_WORDS = {"", "否", "0", "false", "no", "n"}


@dataclass(frozen=True)
class CatalogRow:
    row: int  # in the file, the header being row 1
    barcode: str
    name: str
    spec: str
    unit: str
    category: str
    list_price: Money
    discount_rate: Decimal | None
    source: str
    stock: Decimal
    reorder_level: Decimal
    weighed: bool
    clothing: bool


@dataclass
class ImportPlan:
    """What a catalog file would do, and every invalid row (named by its row number)."""

    filename: str
    digest: str
    rows: int = 0
    new: list[CatalogRow] = field(default_factory=list)
    changed: list[tuple[CatalogRow, Product]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> list[str]:
        stock_rows = sum(1 for r in self.new if r.stock > 0)
        return [
            f"文件 {self.filename}：{self.rows} 行商品",
            f"  新增 {len(self.new)} 个商品（其中 {stock_rows} 个带期初库存，记为入库）",
            f"  变更 {len(self.changed)} 个商品（调价记为带日期的价格变动），无变化 {self.unchanged} 个",
        ]


# --- reading ---------------------------------------------------------------------------------


def _qty(text: str, *, label: str, weighed: bool) -> Decimal:
    """A stock or reorder-level cell: blank is 0; else the one quantity parser, whole for goods
    sold by the piece."""
    if not text:
        return Decimal(0)
    value = parse_quantity(text, what=label, allow_zero=True)
    qty_to_milli(value, whole=not weighed, what=label)
    return value


def _price(text: str, *, clothing: bool) -> Money:
    """The list price cell: a currency sign is allowed; never negative; zero only for clothing."""
    text = text.replace("¥", "").replace("￥", "").strip()
    if text.startswith("-"):
        raise ValidationError(f"标价 {text} 不能为负数")
    price = parse_amount(text, what="标价", allow_zero=True)
    if price.fen == 0 and not clothing:
        raise ValidationError("标价不能为 0")
    return price


def _flag(text: str, label: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(f"{label} {text!r} 应为 是 或 否")


def _parse_row(number: int, cells: dict[str, str], settings: Settings) -> CatalogRow:
    problems: list[str] = []

    def attempt(fn: Callable[[], T]) -> T | None:
        try:
            return fn()
        except DomainError as exc:
            problems.append(exc.message)
        except FieldError as exc:
            problems.append(str(exc))
        return None

    name = cells.get("name", "")
    if not name:
        problems.append("品名不能为空")
    elif formula_like(name):
        problems.append(f"品名“{name[:20]}”以“{name[0]}”开头，像是表格公式而不是品名")
    unit = cells.get("unit", "")
    if not unit:
        problems.append("单位不能为空")
    weighed = bool(attempt(lambda: _flag(cells.get("weighed", ""), "称重")))
    clothing = bool(attempt(lambda: _flag(cells.get("clothing", ""), "衣物")))
    barcode = attempt(lambda: validate_barcode(cells.get("barcode", ""), settings.inventory))
    price = attempt(lambda: _price(cells.get("list_price", ""), clothing=clothing))
    rate_text = cells.get("discount_rate", "")
    rate = attempt(lambda: parse_rate(rate_text, what="慈善折扣率")) if rate_text else None
    if rate is not None:
        attempt(lambda: validate_rate(rate, settings.discount, what="慈善折扣率"))
    source = SOURCE_WORDS.get(cells.get("source", "").strip().lower())
    if source is None:
        problems.append(f"来源 {cells.get('source')!r} 应为 采购 或 捐赠")
    stock = attempt(lambda: _qty(cells.get("stock", ""), label="库存", weighed=weighed))
    reorder = attempt(
        lambda: _qty(cells.get("reorder_level", ""), label="预警库存", weighed=weighed)
    )
    if problems:
        raise ValidationError(f"第 {number} 行：" + "；".join(problems))
    assert barcode is not None and price is not None and source is not None
    assert stock is not None and reorder is not None
    return CatalogRow(
        row=number,
        barcode=barcode,
        name=name,
        spec=cells.get("spec", ""),
        unit=unit,
        category=cells.get("category", ""),
        list_price=price,
        discount_rate=rate,
        source=source,
        stock=stock,
        reorder_level=reorder,
        weighed=weighed,
        clothing=clothing,
    )


# --- planning and applying -------------------------------------------------------------------


def _differs(row: CatalogRow, product: Product) -> bool:
    rate_bp = None if row.discount_rate is None else rate_to_bp(row.discount_rate)
    return (
        row.list_price.fen != product.list_price_fen
        or (rate_bp is not None and rate_bp != product.discount_bp)
        or (row.name, row.spec, row.unit, row.category, row.source)
        != (product.name, product.spec, product.unit, product.category, product.source)
        or qty_to_milli(row.reorder_level, whole=False) != product.reorder_level_milli
    )


def plan_import(session: Session, data: bytes, filename: str, settings: Settings) -> ImportPlan:
    """Read and check the whole file; compare with the catalog. Writes nothing."""
    plan = ImportPlan(filename=filename, digest=hashlib.sha256(data).hexdigest())
    table = open_table(data, filename)
    if table.empty:
        raise ValidationError(f"文件 {filename} 是空的")
    columns = CATALOG_COLUMNS.locate(table.header)  # before any row is read
    seen: dict[str, int] = {}
    parsed: list[CatalogRow] = []
    for number, raw in table.rows():
        plan.rows += 1
        cells = columns.texts(raw)
        try:
            row = _parse_row(number, cells, settings)
        except ValidationError as exc:
            plan.errors.append(exc.message)
            continue
        if row.barcode in seen:
            plan.errors.append(
                f"第 {number} 行：条码 {row.barcode} 与第 {seen[row.barcode]} 行重复"
            )
            continue
        seen[row.barcode] = number
        parsed.append(row)
    existing = {
        p.barcode: p
        for chunk in (list(seen)[i : i + 500] for i in range(0, len(seen), 500))
        for p in session.scalars(select(Product).where(Product.barcode.in_(chunk)))
    }
    for row in parsed:
        product = existing.get(row.barcode)
        if product is None:
            plan.new.append(row)
        elif product.weighed != row.weighed and row.weighed:
            plan.errors.append(f"第 {row.row} 行：商品 {row.barcode} 已存在且不是称重商品")
        elif _differs(row, product):
            plan.changed.append((row, product))
        else:
            plan.unchanged += 1
    return plan


def apply_import(
    session: Session, plan: ImportPlan, *, at: datetime, actor: Actor, settings: Settings
) -> ImportPlan:
    """Apply a checked plan (refused whole when any row is invalid). Flushes, never commits."""
    if plan.errors:
        raise ValidationError(
            f"文件 {plan.filename} 有 {len(plan.errors)} 行无效，未导入任何内容：" + plan.errors[0]
        )
    reference = f"import:{plan.digest[:16]}"
    for row in plan.new:
        product = create_product(
            session,
            barcode=row.barcode,
            name=row.name,
            spec=row.spec,
            unit=row.unit,
            category=row.category,
            list_price=row.list_price,
            discount_rate=row.discount_rate
            if row.discount_rate is not None
            else default_rate(row.category, settings.discount),
            source=row.source,
            clothing=row.clothing,
            weighed=row.weighed,
            reorder_level=row.reorder_level,
            at=at,
            actor=actor,
            settings=settings,
        )
        if row.stock > 0:
            receive_stock(
                session,
                product,
                row.stock,
                at=at,
                actor=actor,
                reference=reference,
                reason=f"期初库存（目录导入 {plan.filename} 第 {row.row} 行）",
                donor="目录导入" if row.source == "donated" else None,
            )
        plan.applied.append(
            f"新增 {row.barcode} {row.name}，库存 {format_qty(int(row.stock * 1000))}"
        )
    for row, product in plan.changed:
        changes = update_product(
            session,
            product,
            at=at,
            actor=actor,
            settings=settings,
            reason=f"目录导入 {plan.filename} 第 {row.row} 行",
            list_price=row.list_price,
            discount_rate=row.discount_rate,
            name=row.name,
            spec=row.spec,
            unit=row.unit,
            category=row.category,
            source=row.source,
            reorder_level=row.reorder_level,
        )
        plan.applied.append(f"变更 {row.barcode} {product.name}：{'，'.join(changes)}")
    session.flush()
    return plan


def import_catalog(
    session: Session,
    data: bytes,
    filename: str,
    *,
    commit: bool,
    at: datetime,
    actor: Actor,
    settings: Settings,
) -> ImportPlan:
    """Plan, and with `commit` apply, a catalog file. The caller commits the transaction."""
    plan = plan_import(session, data, filename, settings)
    if commit:
        apply_import(session, plan, at=at, actor=actor, settings=settings)
    return plan


def import_catalog_file(
    session: Session,
    path: str | Path,
    *,
    commit: bool,
    at: datetime,
    actor: Actor,
    settings: Settings,
) -> ImportPlan:
    """`import_catalog` on a file path."""
    path = Path(path)
    return import_catalog(
        session, path.read_bytes(), path.name, commit=commit, at=at, actor=actor, settings=settings
    )
