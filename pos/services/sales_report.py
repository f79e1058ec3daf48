"""Sales for a period, as the office's report pages show them: by day, by hour of day (visits),
by cashier (display names), by category and by product. Voided sales are left out (they never
happened); refunds are shown beside the sales they return, whenever they were made. Grouped in
Python in the store's timezone, so the days and hours are the store's on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth import StaffUser
from core.export import Column, Table, Value
from core.money import Money
from inventory.models import Product
from inventory.services.pricing import milli_to_qty
from pos.models import Refund, Sale

By = Literal["day", "hour", "cashier", "category", "product"]
BY: tuple[By, ...] = ("day", "hour", "cashier", "category", "product")
BY_LABELS: dict[By, str] = {
    "day": "按日",
    "hour": "按时段",
    "cashier": "按收银员",
    "category": "按类别",
    "product": "按商品",
}


@dataclass
class Figures:
    """One group's sums (fen and counts)."""

    sales: int = 0
    qty_milli: int = 0
    list_fen: int = 0
    discount_fen: int = 0
    total_fen: int = 0
    card_fen: int = 0
    cash_fen: int = 0
    refunded_fen: int = 0


def _sales(session: Session, start: datetime, end: datetime) -> list[Sale]:
    voided = select(Refund.sale_id).where(Refund.kind == "void")
    return list(
        session.scalars(
            select(Sale)
            .where(Sale.at >= start, Sale.at < end, Sale.id.not_in(voided))
            .order_by(Sale.at, Sale.id)
        )
    )


def _group(rows: list[Sale], key: Callable[[Sale], Value]) -> dict[Value, Figures]:
    groups: dict[Value, Figures] = {}
    for sale in rows:
        f = groups.setdefault(key(sale), Figures())
        f.sales += 1
        f.list_fen += sale.list_total_fen
        f.discount_fen += sale.discount_total_fen
        f.total_fen += sale.total_fen
        f.card_fen += sale.paid_card_fen
        f.cash_fen += sale.total_fen - sale.paid_card_fen
        f.refunded_fen += sum(line.refunded_fen for line in sale.lines)
    return groups


def _sale_columns(first: Column) -> list[Column]:
    return [
        first,
        Column("笔数", "integer"),
        Column("标价合计", "amount"),
        Column("慈善让利", "amount"),
        Column("销售额", "amount"),
        Column("其中刷卡", "amount"),
        Column("其中现金", "amount"),
        Column("已退款", "amount"),
    ]


def _sale_row(label: Value, f: Figures) -> tuple[Value, ...]:
    return (
        label,
        f.sales,
        Money(f.list_fen),
        Money(f.discount_fen),
        Money(f.total_fen),
        Money(f.card_fen),
        Money(f.cash_fen),
        Money(f.refunded_fen),
    )


def _total(groups: dict[Value, Figures]) -> Figures:
    total = Figures()
    for f in groups.values():
        for name in vars(total):
            setattr(total, name, getattr(total, name) + getattr(f, name))
    return total


@dataclass(frozen=True)
class SalesReport:
    """The table, and the series a chart draws: labels and one value per label."""

    table: Table
    labels: list[str]
    values: list[Decimal | int]
    value_name: str


def sales_report(
    session: Session, by: By, start: datetime, end: datetime, tz: tzinfo
) -> SalesReport:
    """Sales in [start, end) grouped `by` one of BY."""
    sales = _sales(session, start, end)
    if by in ("category", "product"):
        return _line_report(session, by, sales)
    if by == "day":
        groups = _group(sales, lambda s: s.at.astimezone(tz).date())
        keys = sorted(groups, key=str)
        labels = [f"{k:%m-%d}" for k in keys]  # type: ignore[str-format]
        first = Column("日期", "date")
        values: list[Decimal | int] = [Money(groups[k].total_fen).decimal for k in keys]
        name = "销售额（元）"
    elif by == "hour":
        groups = _group(sales, lambda s: s.at.astimezone(tz).hour)
        hours = [h for h in range(24) if h in groups]
        # the store's day at least (8 to 20 h), wider when sales were made outside it
        keys = list(range(min([8, *hours]), max([20, *hours]) + 1))
        for k in keys:
            groups.setdefault(k, Figures())
        labels = [f"{k}时" for k in keys]
        first = Column("时段")
        values = [groups[k].sales for k in keys]
        name = "购物笔数"
        rows = [_sale_row(f"{k:02d}:00–{k:02d}:59", groups[k]) for k in keys]
        table = Table(_sale_columns(first), rows, totals=[_sale_row("合计", _total(groups))])
        return SalesReport(table, labels, values, name)
    else:
        names = {u.id: u.display_name or u.username for u in session.scalars(select(StaffUser))}
        groups = _group(sales, lambda s: names.get(s.actor_id or 0, s.actor_name))
        keys = sorted(groups, key=lambda k: -groups[k].total_fen)
        labels = [str(k) for k in keys]
        first = Column("收银员")
        values = [Money(groups[k].total_fen).decimal for k in keys]
        name = "销售额（元）"
    table = Table(
        _sale_columns(first),
        [_sale_row(k, groups[k]) for k in keys],
        totals=[_sale_row("合计", _total(groups))],
    )
    return SalesReport(table, labels, values, name)


def _line_report(session: Session, by: By, sales: list[Sale]) -> SalesReport:
    ids = {line.product_id for sale in sales for line in sale.lines}
    found = session.execute(select(Product.id, Product.category).where(Product.id.in_(ids)))
    categories = {product_id: category for product_id, category in found}
    groups: dict[tuple[str, ...], Figures] = {}
    counted: dict[tuple[str, ...], set[int]] = {}
    for sale in sales:
        for line in sale.lines:
            category = categories.get(line.product_id) or "未分类"
            key: tuple[str, ...] = (
                (category,) if by == "category" else (line.barcode, line.name, line.unit)
            )
            f = groups.setdefault(key, Figures())
            counted.setdefault(key, set()).add(sale.id)
            f.qty_milli += line.qty_milli
            f.list_fen += line.list_total_fen
            f.discount_fen += line.discount_fen
            f.total_fen += line.total_fen
            f.refunded_fen += line.refunded_fen
    for key, seen in counted.items():
        groups[key].sales = len(seen)
    keys = sorted(groups, key=lambda k: (-groups[k].total_fen, k))
    money = [
        Column("笔数", "integer"),
        Column("标价合计", "amount"),
        Column("慈善让利", "amount"),
        Column("销售额", "amount"),
        Column("已退款", "amount"),
    ]

    def figures(f: Figures) -> tuple[Value, ...]:
        return (
            f.sales,
            Money(f.list_fen),
            Money(f.discount_fen),
            Money(f.total_fen),
            Money(f.refunded_fen),
        )

    total = Figures()
    for f in groups.values():
        for name in ("list_fen", "discount_fen", "total_fen", "refunded_fen"):
            setattr(total, name, getattr(total, name) + getattr(f, name))
    total.sales = len(sales)
    if by == "category":
        table = Table(
            [Column("类别"), *money],
            [(k[0], *figures(groups[k])) for k in keys],
            totals=[("合计", *figures(total))],
        )
    else:
        table = Table(
            [Column("条码"), Column("商品"), Column("数量", "quantity"), *money],
            [(k[0], k[1], milli_to_qty(groups[k].qty_milli), *figures(groups[k])) for k in keys],
            totals=[("合计", "", None, *figures(total))],
        )
    shown = keys[:12]
    return SalesReport(
        table,
        [k[0] if by == "category" else k[1] for k in shown],
        [Money(groups[k].total_fen).decimal for k in shown],
        "销售额（元）",
    )
