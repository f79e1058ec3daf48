"""Command line of the clothing exchange: 衣暖人心 intake files and the clothing reports.
Thin: reads the file, the clock and the actor, calls services, commits once."""

from __future__ import annotations

import sys

import click

from clothing_exchange.services import report_export, reports
from clothing_exchange.services.intake import plan_intake, record_intake
from clothing_exchange.services.intake_file import IntakeFileError, parse_intake
from clothing_exchange.services.stock import clothing_stock
from core import audit
from core.cli import cli_context, fail, input_file, output_xlsx
from core.export import csv_text, write_xlsx

clothing = click.Group("clothing", help="衣暖人心爱心衣物：入库、报表")


@clothing.command("intake")
@click.argument("file")
@click.option("--commit", is_flag=True, help="真正入库（默认只预览，不写入）")
def intake(file: str, commit: bool) -> None:
    """记录衣暖人心入库批次（.csv、.xlsx、.xls 或 .ods：批次,日期,来源楼院,重量kg,分拣）。

    分拣格式：种类/尺码/季节=件数，多项以分号分隔，如 毛衣/XXL/冬=39;床品/L/夏=29。
    全部成功或全部不入库；同一文件再次导入不会重复入库。"""
    path = input_file(file, what="入库文件")
    context = cli_context()
    settings = context.settings
    try:
        parsed = parse_intake(path.read_bytes(), filename=path.name, kinds=settings.clothing.kinds)
    except IntakeFileError as exc:
        fail(f"错误：{path.name}：{exc}")
    if not parsed.rows and not parsed.problems:
        fail(f"错误：入库文件 {path.name} 只有表头，没有任何数据行")
    with context.transaction() as session:
        plan = plan_intake(session, parsed)
        for row in plan.new:
            click.echo(
                f"  新批次 {row.batch_code}  {row.intake_date}  {row.collection_point}  "
                f"{row.weight_kg} kg  {row.items} 件"
            )
        if plan.known:
            click.echo(f"已入库过、将跳过的批次：{len(plan.known)} 个")
        click.echo(f"新批次 {len(plan.new)} 个，共 {plan.weight_kg} kg，分拣 {plan.items} 件")
        if plan.problems:
            click.echo(f"无效行（{len(plan.problems)}），整个文件不会入库：", err=True)
            for problem in plan.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        if not commit:
            click.echo("（预览：未写入任何数据；确认无误后加 --commit 入库）")
            return
        record_intake(
            session,
            parsed,
            at=context.now(),
            actor=context.actor,
            settings=settings,
            source=path.name,
        )
    if plan.new:
        click.echo(f"已入库 {len(plan.new)} 个批次，{plan.items} 件衣物进入库存。")
    else:
        click.echo("此文件的批次都已入库过，没有任何变化。")


@clothing.command("report")
@click.argument("which", type=click.Choice(list(report_export.WHICH)))
@click.option("--year", type=int, default=None, help="intake：只看这一年")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table")
@click.option("--xlsx", "xlsx_path", help="另存为可打印的 Excel 文件（.xlsx；所在目录须已存在）")
def report(which: report_export.Which, year: int | None, fmt: str, xlsx_path: str | None) -> None:
    """衣物报表：intake 每月各楼院入库；given 每季度店内与活动发放；unused 本季度未领取的救助对象；
    stock 衣物库存（按种类、尺码）。"""
    context = cli_context()
    settings = context.settings
    target = output_xlsx(xlsx_path) if xlsx_path is not None else None
    at = context.now()
    if which == "unused" and (target is not None or fmt == "csv"):  # names: personal data
        audit.record_now(
            context.db.engine,
            "export",
            actor=context.actor,
            at=at,
            subject="clothing report unused",
            detail={"format": "xlsx" if target is not None else "csv"},
        )
    with context.db.session() as session:
        if target is not None:
            write_xlsx(
                report_export.report_file(which, session, settings, at=at, year=year), target
            )
        if fmt == "csv":
            table, _ = report_export.report_table(which, session, settings, at=at, year=year)
            click.echo(csv_text(table, newline="\n"), nl=False)
            return
        if which == "intake":
            click.echo("月份\t来源楼院\t批次\t重量kg\t分拣件数")
            for r in reports.intake_by_month_and_point(session, year=year):
                click.echo(
                    f"{r.month}\t{r.collection_point}\t{r.batches}\t{r.weight_kg}\t{r.items}"
                )
        elif which == "given":
            click.echo("季度\t店内领取\t活动发放\t合计")
            for g in reports.given_by_quarter(session):
                click.echo(f"{g.quarter}\t{g.in_store}\t{g.at_events}\t{g.total}")
        elif which == "unused":
            people = reports.unused_allowance(session, settings, at=at)
            click.echo(f"本季度尚未用完衣物额度的在册救助对象：{len(people)} 人")
            for p in people:
                click.echo(f"{p.name}\t{p.category}\t已领 {p.used}/{p.allowed}")
        else:
            click.echo("种类\t尺码\t季节\t条码\t库存")
            for s in clothing_stock(session, settings):
                click.echo(f"{s.kind}\t{s.size}\t{s.season}\t{s.barcode}\t{s.stock}")
    if target is not None:
        click.echo(f"已保存 {target}")
