"""The stock warnings as files (the reports page's downloads): low stock and negative stock as
sections of one printable sheet, or each as a CSV, through the kernel's export writer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from core.config import Settings
from core.export import Column, Report, Sheet, Table, TitleBlock
from inventory.models import Product
from inventory.services.reports import low_stock, negative_stock

Which = Literal["low", "negative"]
WHICH: tuple[Which, ...] = ("low", "negative")
HEADINGS: dict[Which, str] = {
    "low": "低库存（不高于预警库存）",
    "negative": "负库存（需入库或盘点）",
}


def _qty(milli: int) -> Decimal:
    return Decimal(milli) / 1000


def stock_table(which: Which, products: Sequence[Product]) -> Table:
    """One warning list: a line per product, with its heading."""
    columns = [Column("条码"), Column("品名"), Column("规格"), Column("分类"), Column("单位")]
    columns.append(Column("库存", "quantity"))
    if which == "low":
        columns.append(Column("预警库存", "quantity"))
    rows = [
        (
            p.barcode or "",
            p.name,
            p.spec,
            p.category,
            p.unit,
            _qty(p.stock_milli),
            *((_qty(p.reorder_level_milli),) if which == "low" else ()),
        )
        for p in products
    ]
    return Table(columns, rows, heading=f"{HEADINGS[which]}：{len(rows)} 个")


def warning_table(which: Which, session: Session) -> Table:
    return stock_table(which, low_stock(session) if which == "low" else negative_stock(session))


def stock_warnings(session: Session, settings: Settings, *, at: datetime) -> Report:
    """Both lists on one sheet, ready to print."""
    title = TitleBlock(
        "库存报表",
        store=settings.store.name,
        printed_at=at,
        tz=settings.tz,
        period=f"截至 {at.astimezone(settings.tz):%Y-%m-%d %H:%M}",
    )
    tables = [warning_table("low", session), warning_table("negative", session)]
    return Report(title, [Sheet("库存报表", tables)])
