"""Command line of the inventory package: catalog import, price changes, receiving, counts and
write-offs (`charity products ...`)."""

from __future__ import annotations

import sys

import click

from core.cli import cli_context, input_file
from core.errors import ValidationError
from core.forms import read_input
from inventory.schemas import (
    CountRequest,
    PriceChange,
    ReceiptRequest,
    WriteoffRequest,
)
from inventory.services.catalog import apply_import, import_catalog_file
from inventory.services.counts import count_stock
from inventory.services.prices import change_price
from inventory.services.pricing import format_qty, format_rate
from inventory.services.products import require_product
from inventory.services.receiving import receive_stock
from inventory.services.stock import movements_of
from inventory.services.writeoffs import write_off

products = click.Group("products", help="商品目录：导入、调价、入库、盘点、报损")


def _reason(reason: str, what: str) -> str:
    if not reason.strip():
        raise ValidationError(f"请填写{what}（--reason 不能为空）")
    return reason.strip()


@products.command("import")
@click.argument("file")
@click.option("--commit", is_flag=True, help="确认导入（不加此项只预览，不写入）")
def import_(file: str, commit: bool) -> None:
    """导入商品目录（.xlsx、.xls、.ods 或 .csv，表头同 products.csv）；全部成功或全部不导入。"""
    path = input_file(file, what="商品目录文件")
    context = cli_context()
    with context.transaction() as session:
        plan = import_catalog_file(
            session,
            path,
            commit=False,
            at=context.now(),
            actor=context.actor,
            settings=context.settings,
        )
        if plan.rows == 0 and not plan.errors:
            raise ValidationError(f"商品目录文件 {path.name} 只有表头，没有任何数据行")
        for line in plan.summary():
            click.echo(line)
        if not commit:
            for row, product in plan.changed[:50]:
                rate = (
                    f"，折扣率 {format_rate(product.discount_rate)} → {format_rate(row.discount_rate)}"
                    if row.discount_rate is not None
                    else ""
                )
                click.echo(
                    f"  将变更 第 {row.row} 行 {row.barcode} {product.name}："
                    f"标价 {product.list_price} → {row.list_price}{rate}"
                )
        if commit and plan.ok:
            apply_import(
                session, plan, at=context.now(), actor=context.actor, settings=context.settings
            )
    if plan.errors:
        click.echo(f"发现 {len(plan.errors)} 行无效，整个文件未导入：", err=True)
        for error in plan.errors:
            click.echo(f"  {error}", err=True)
        sys.exit(1)
    if not commit:
        click.echo("预览完毕，未写入。确认无误后加 --commit 导入。")
        return
    click.echo(
        f"已导入：新增 {len(plan.new)} 个，变更 {len(plan.changed)} 个，无变化 {plan.unchanged} 个。"
    )


@products.command("show")
@click.argument("barcode")
def show(barcode: str) -> None:
    """显示一个商品的价格、库存和最近的库存流水。"""
    context = cli_context()
    with context.db.session() as session:
        p = require_product(session, barcode)
        click.echo(f"{p.barcode} {p.name} {p.spec}（{p.category}）")
        click.echo(
            f"标价 {p.list_price.format()}/{p.unit}  慈善价 {p.charity_price.format()}  "
            f"折扣率 {format_rate(p.discount_rate)}  库存 {format_qty(p.stock_milli)}{p.unit}"
        )
        for m in movements_of(session, p, limit=20):
            when = m.at.astimezone(context.settings.tz).strftime("%Y-%m-%d %H:%M")
            click.echo(f"  {when} {m.kind_label} {format_qty(m.qty_milli)} {m.reason or ''}")


@products.command("set-price")
@click.argument("barcode")
@click.option("--price", "price", default=None, help="新标价，如 12.50")
@click.option("--rate", "rate", default=None, help="新慈善折扣率，如 0.08")
@click.option("--reason", default="调价", show_default=True)
def set_price(barcode: str, price: str | None, rate: str | None, reason: str) -> None:
    """调整标价或折扣率（记为带日期的价格变动）。"""
    if price is None and rate is None:
        raise click.UsageError("请给出 --price 或 --rate")
    context = cli_context()
    with context.transaction() as session:
        p = require_product(session, barcode)
        change = read_input(
            PriceChange, {"list_price": price, "discount_rate": rate, "reason": reason}
        )
        changes = change_price(
            session,
            p,
            list_price=change.list_price,
            discount_rate=change.discount_rate,
            reason=change.reason,
            at=context.now(),
            actor=context.actor,
            discount=context.settings.discount,
        )
        click.echo(
            f"{p.name}：{'，'.join(changes) or '没有变化'}；慈善价 {p.charity_price.format()}"
        )


@products.command("receive")
@click.argument("barcode")
@click.argument("qty")
@click.option("--cost", default=None, help="采购单价")
@click.option("--supplier", default=None, help="供应商")
@click.option("--donor", default=None, help="捐赠方（捐赠入库）")
@click.option("--value", default=None, help="捐赠物品估值（整行）")
def receive(
    barcode: str,
    qty: str,
    cost: str | None,
    supplier: str | None,
    donor: str | None,
    value: str | None,
) -> None:
    """入库：采购（--cost --supplier）或捐赠（--donor --value）。"""
    if donor and (cost or supplier):
        raise ValidationError("捐赠入库不填采购单价和供应商")
    context = cli_context()
    with context.transaction() as session:
        p = require_product(session, barcode)
        receipt = read_input(
            ReceiptRequest,
            {
                "qty": qty,
                "unit_cost": cost,
                "supplier": supplier,
                "donor": donor,
                "estimated_value": value,
            },
        )
        receive_stock(
            session,
            p,
            receipt.qty,
            at=context.now(),
            actor=context.actor,
            unit_cost=receipt.unit_cost,
            supplier=receipt.supplier,
            donor=receipt.donor,
            estimated_value=receipt.estimated_value,
        )
        click.echo(f"{p.name} 入库 {qty}{p.unit}，现库存 {format_qty(p.stock_milli)}{p.unit}")


@products.command("count")
@click.argument("barcode")
@click.argument("counted")
@click.option("--reason", required=True, help="差异原因")
def count(barcode: str, counted: str, reason: str) -> None:
    """盘点：输入实盘数量，差异记为盘点调整。"""
    context = cli_context()
    with context.transaction() as session:
        p = require_product(session, barcode)
        before = p.stock_milli
        line = read_input(CountRequest, {"counted": counted, "reason": _reason(reason, "差异原因")})
        m = count_stock(
            session, p, line.counted, reason=line.reason, at=context.now(), actor=context.actor
        )
        if m is None:
            click.echo(f"{p.name} 账实相符（{format_qty(before)}{p.unit}）")
        else:
            click.echo(
                f"{p.name} 账面 {format_qty(before)}，实盘 {counted}，差异 {format_qty(m.qty_milli)}"
            )


@products.command("writeoff")
@click.argument("barcode")
@click.argument("qty")
@click.option("--reason", required=True, help="原因（过期、破损……）")
def writeoff(barcode: str, qty: str, reason: str) -> None:
    """报损：过期、破损等，减少库存。"""
    context = cli_context()
    with context.transaction() as session:
        p = require_product(session, barcode)
        line = read_input(WriteoffRequest, {"qty": qty, "reason": _reason(reason, "报损原因")})
        write_off(session, p, line.qty, reason=line.reason, at=context.now(), actor=context.actor)
        click.echo(f"{p.name} 报损 {qty}{p.unit}，现库存 {format_qty(p.stock_milli)}{p.unit}")


__all__ = ["products"]
