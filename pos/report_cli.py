"""The fund statement and the month close on the command line (`charity report fund`,
`charity month close`): here, not in cards, because the statement shows the card-sale figures
and the clothing handed out that this host hands cards (`pos.app.build_hooks`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cards.hooks import CardsHooks
from cards.services import fund_export, fund_statement, month_close
from core.cli import cli_context, output_xlsx
from core.export import write_xlsx
from core.periods import Month


def app_hooks() -> CardsHooks:
    """What the app hands cards (sales and clothing figures), for the command line."""
    from pos.app import build_hooks  # the composition root (imports Flask: only when needed)

    return build_hooks(cli_context().settings)


@click.command("fund")
@click.argument("month")
@click.option("--xlsx", "xlsx_path", help="另存为可打印的 Excel 文件（.xlsx；所在目录须已存在）")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def fund_report(month: str, xlsx_path: str | None, fmt: str) -> None:
    """慈善购物卡资金月报（MONTH 为 YYYY-MM）：按类别的期初、充值、消费、退款、过期、调整与
    期末，各门店的刷卡消费，慈善让利、购物笔数与人数、发放衣物；已结账的月份读出结账时存档的
    数字。"""
    context = cli_context()
    settings = context.settings
    period = fund_statement.report_month(month, at=context.now(), settings=settings)
    target: Path | None = output_xlsx(xlsx_path) if xlsx_path is not None else None
    hooks = app_hooks()
    with context.db.session() as session:
        statement = fund_statement.fund_statement(session, settings, period, hooks)
    if target is not None:
        report = fund_export.fund_report(
            statement, store=settings.store.name, at=context.now(), tz=settings.tz
        )
        write_xlsx(report, target)
    if fmt == "json":
        click.echo(json.dumps(statement.to_json(), ensure_ascii=False, indent=2))
    else:
        for line in fund_statement.statement_lines(statement, store_name=settings.store.name):
            click.echo(line)
    if target is not None:
        click.echo(f"已保存 {target}", err=fmt == "json")


@click.group("month")
def month_group() -> None:
    """月结：close 结账（存档资金月报并封存账本）。"""


@month_group.command("close")
@click.argument("month")
def close(month: str) -> None:
    """结账一个已结束的月份（门店时间）：存档其资金月报（按类别、按门店），封存账本到该月末
    并打印封印；此后日期在该月的分录一律不能再记入。再次结账同一月份只说明已结账。"""
    context = cli_context()
    settings = context.settings
    period = Month.parse(month)
    hooks = app_hooks()
    with context.transaction() as session:
        outcome = month_close.close_month(
            session, settings, period, hooks, at=context.now(), actor=context.actor
        )
    statement = outcome.statement
    if outcome.already:
        closed_at = outcome.closed_at.astimezone(settings.tz)
        click.echo(f"{period} 已于 {closed_at:%Y-%m-%d %H:%M} 结账，未做任何改动。")
    else:
        click.echo(f"{period} 已结账。")
    click.echo(f"封印：{outcome.seal}")
    click.echo(f"期末余额 {statement.to_json()['total']['closing']}，{statement.balance_line}")
