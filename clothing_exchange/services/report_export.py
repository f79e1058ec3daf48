"""The clothing reports as files (`charity clothing report WHICH --format csv | --xlsx PATH`, and
the report page's downloads), through the kernel's export writer: each report one table with its
totals, printed portrait on A4."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.orm import Session

from clothing_exchange.services import reports
from clothing_exchange.services.allowance import quarter_of
from clothing_exchange.services.stock import clothing_stock
from core.config import Settings
from core.export import Column, Report, Sheet, Table, TitleBlock

Which = Literal["intake", "given", "unused", "stock"]
WHICH: tuple[Which, ...] = ("intake", "given", "unused", "stock")
TITLES: dict[Which, str] = {
    "intake": "衣暖人心每月各楼院入库",
    "given": "爱心衣物每季度发放",
    "unused": "本季度尚未领取衣物的救助对象",
    "stock": "爱心衣物库存",
}


def report_table(
    which: Which, session: Session, settings: Settings, *, at: datetime, year: int | None = None
) -> tuple[Table, str]:
    """One report as a table, and the period it covers (for the title)."""
    if which == "intake":
        intake = reports.intake_by_month_and_point(session, year=year)
        return Table(
            (
                Column("月份"),
                Column("来源楼院"),
                Column("批次", "integer"),
                Column("重量kg", "quantity"),
                Column("送回收kg", "quantity"),
                Column("分拣件数", "integer"),
            ),
            [
                (r.month, r.collection_point, r.batches, r.weight_kg, r.recycled_kg, r.items)
                for r in intake
            ],
            totals=[
                (
                    "合计",
                    f"{len({r.collection_point for r in intake})} 个楼院",
                    sum(r.batches for r in intake),
                    sum((r.weight_kg for r in intake), Decimal(0)),
                    sum((r.recycled_kg for r in intake), Decimal(0)),
                    sum(r.items for r in intake),
                )
            ],
        ), (f"{year} 年" if year else "全部")
    if which == "given":
        given = reports.given_by_quarter(session)
        return Table(
            (
                Column("季度"),
                Column("店内领取", "integer"),
                Column("集中发放", "integer"),
                Column("合计", "integer"),
            ),
            [(g.quarter, g.in_store, g.at_events, g.total) for g in given],
            totals=[
                (
                    "合计",
                    sum(g.in_store for g in given),
                    sum(g.at_events for g in given),
                    sum(g.total for g in given),
                )
            ],
        ), "全部"
    if which == "unused":
        people = reports.unused_allowance(session, settings, at=at)
        return Table(
            (Column("姓名"), Column("类别"), Column("已领", "integer"), Column("可领", "integer")),
            [(p.name, p.category, p.used, p.allowed) for p in people],
            totals=[
                (
                    "合计",
                    f"{len(people)} 人",
                    sum(p.used for p in people),
                    sum(p.allowed for p in people),
                )
            ],
        ), quarter_of(at, settings).label
    stock = clothing_stock(session, settings)
    return Table(
        (Column("种类"), Column("尺码"), Column("季节"), Column("条码"), Column("库存", "integer")),
        [(s.kind, s.size, s.season, s.barcode, s.stock) for s in stock],
        totals=[("合计", "", "", "", sum(s.stock for s in stock))],
    ), f"截至 {at.astimezone(settings.tz):%Y-%m-%d}"


def report_file(
    which: Which, session: Session, settings: Settings, *, at: datetime, year: int | None = None
) -> Report:
    """One report ready to print: the table under the title block."""
    table, period = report_table(which, session, settings, at=at, year=year)
    title = TitleBlock(
        TITLES[which], store=settings.store.name, printed_at=at, tz=settings.tz, period=period
    )
    return Report(title, [Sheet(TITLES[which], [table])])
