"""`charity report dormant` (the outreach list) and `charity report stock` (stock valuation)."""

from __future__ import annotations

import click

from core import audit
from core.cli import cli_context
from core.export import Column, Kind, Table, csv_text
from core.stores import FIRST_STORE, list_stores, store_by_code
from inventory.services import valuation
from inventory.services.pricing import milli_to_qty
from pos.services import dormant


def dormant_table(holders: list[dormant.DormantHolder]) -> Table:
    """The contract's csv: `card_no,name,category,town,community,last_purchase,balance`."""
    kinds: tuple[Kind, ...] = ("text", "text", "text", "text", "text", "date", "amount")
    return Table(
        [Column(title, kind) for title, kind in zip(dormant.CSV_COLUMNS, kinds, strict=True)],
        [
            (h.card_no, h.name, h.category, h.town, h.community, h.last_purchase, h.balance)
            for h in holders
        ],
    )


@click.command("dormant")
@click.option(
    "--months",
    type=click.IntRange(1, 120),
    default=dormant.DEFAULT_MONTHS,
    show_default=True,
    help="多少个月没有购物",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
def dormant_report(months: int, fmt: str) -> None:
    """走访名单：持有效卡的在册救助对象中，最近 N 个月没有用卡购物的人，列出乡镇、社区、
    最后一次购物日期（从未购物为空）与余额，供社区工作人员上门了解。给出完整姓名（命令行是
    民政局自己的），每次 csv 导出都记入审计日志（export）。"""
    context = cli_context()
    settings = context.settings
    with context.transaction() as session:
        holders = dormant.dormant_holders(session, months=months, at=context.now(), tz=settings.tz)
        if fmt == "csv":
            audit.record(
                session,
                "export",
                actor=context.actor,
                at=context.now(),
                subject="report dormant",
                detail={"format": "csv", "rows": len(holders), "personal": ["name"]},
            )
    if fmt == "csv":
        click.echo(csv_text(dormant_table(holders), newline="\n"), nl=False)
        return
    click.echo(f"最近 {months} 个月没有用卡购物的持卡人（在册、卡有效）：")
    for h in holders:
        last = "从未购物" if h.last_purchase is None else f"最后购物 {h.last_purchase:%Y-%m-%d}"
        click.echo(
            f"{h.card_no}  {h.name:<6}\t{h.category}  {h.town} {h.community}  {last}  "
            f"余额 {h.balance.format()}"
        )
    click.echo(f"共 {len(holders)} 人")


def stock_table(rows: list[valuation.StockValue]) -> Table:
    """The contract's csv: `barcode,name,stock,cost_value,list_value`."""
    kinds: tuple[Kind, ...] = ("text", "text", "quantity", "amount", "amount")
    return Table(
        [Column(title, kind) for title, kind in zip(valuation.CSV_COLUMNS, kinds, strict=True)],
        [
            (r.barcode, r.name, milli_to_qty(r.stock_milli), r.cost_value, r.list_value)
            for r in rows
        ],
    )


@click.command("stock")
@click.option("--store", "store_code", default=None, help="门店编号（默认第一家门店，如 01）")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
def stock_report(store_code: str | None, fmt: str) -> None:
    """库存估值：每种商品的库存数量、按成本（最近一次采购单价；未采购过的按 0）和按标价计的
    金额。目前库存按商品统一记一个数（不分门店），各门店看到的是同一组数字。"""
    context = cli_context()
    with context.db.session() as session:
        if store_code is not None:
            store = store_by_code(session, store_code)
            store_label = f"{store.code} {store.name}"
        else:
            stores = list_stores(session)
            first = stores[0] if stores else None
            store_label = (
                f"{first.code} {first.name}"
                if first is not None
                else f"{FIRST_STORE} {context.settings.store.name}"
            )
        report = valuation.stock_valuation(session)
    if fmt == "csv":
        click.echo(csv_text(stock_table(report.rows), newline="\n"), nl=False)
        return
    click.echo(f"库存估值 · 门店 {store_label}（库存不分门店，为全部门店共用的数量）")
    for r in report.rows:
        stock = f"{milli_to_qty(r.stock_milli)}{r.unit}"
        click.echo(
            f"{r.barcode}  {r.name:<10}\t{stock:>8}  成本 {r.cost_value.format():>10}  "
            f"标价 {r.list_value.format():>10}"
        )
    click.echo(
        f"共 {len(report.rows)} 种商品，成本合计 {report.cost_total.format()}，"
        f"标价合计 {report.list_total.format()}"
    )
