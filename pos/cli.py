"""The `charity` command line: gathers every package's command groups and adds the store-wide ones
(init, serve, user, ledger, report, backup)."""

from __future__ import annotations

import getpass
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from cards import cli as cards_cli
from clothing_exchange import cli as clothing_cli
from core.auth import Role, add_user
from core.cli import CharityGroup, CliContext, cli_context, fail
from core.db import is_empty
from inventory import cli as inventory_cli
from pos import migrate

_ROLES = [r.value for r in Role]


@click.group(cls=CharityGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="CHARITY_CONFIG",
    type=click.Path(dir_okay=False),
    help="配置文件（默认当前目录的 config.toml）",
)
@click.version_option("0.1.0", prog_name="charity")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """慈善超市收银与救助卡系统 (charity supermarket POS and beneficiary cards)."""
    if not isinstance(ctx.obj, CliContext):  # tests pass a ready context
        ctx.obj = CliContext(config_path=config_path)


@main.command()
def init() -> None:
    """创建或升级数据库结构（迁移）。"""
    context = cli_context()
    heads = migrate.upgrade(context.db.engine)
    click.echo(f"数据库已是最新结构（{', '.join(heads)}）：{context.settings.database.url}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="空库时先载入演示数据，并打印演示账号")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, demo: bool, threads: int) -> None:
    """启动门店服务（waitress）。"""
    from waitress import serve as waitress_serve

    from pos.app import create_app

    context = cli_context()
    settings = context.settings
    if not settings.security.secret_key and not demo:
        fail("错误：未设置 security.secret_key（或环境变量 CHARITY_SECRET_KEY）；演示请加 --demo")
    db = context.db
    if demo:
        fresh = is_empty(db.engine)
        migrate.upgrade(db.engine)
        if fresh:
            from pos.demo import load_demo

            with db.transaction() as session:
                lines = load_demo(session, settings, at=context.now())
            for line in lines:
                click.echo(line)
        else:
            click.echo("数据库已有数据，未重复载入演示数据。演示账号见 README。")
    elif not migrate.is_current(db.engine):
        fail("错误：数据库结构不是最新，请先运行 charity init")
    app = create_app(settings, database=db, clock=context.clock, demo=demo)
    click.echo(f"{settings.store.name} 已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    waitress_serve(app, host=host, port=port, threads=threads, ident="charity")


@main.group()
def user() -> None:
    """员工账号。"""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(_ROLES), required=True, help="角色")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行）")
@click.option("--display-name", default="", help="显示名（默认同用户名）")
def user_add(name: str, role: str, password_stdin: bool, display_name: str) -> None:
    """添加员工账号（收银员、店长、民政局、管理员）。"""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("密码：")
        if getpass.getpass("再输一次：") != password:
            fail("错误：两次输入的密码不一致")
    context = cli_context()
    with context.transaction() as session:
        created = add_user(
            session, name, password, role, at=context.now(), display_name=display_name
        )
        label = created.role_enum.label
    click.echo(f"已添加员工 {name}（{label}）")


@main.group()
def ledger() -> None:
    """账本：核对与过期处理。"""


ledger.add_command(cards_cli.expire)


@ledger.command("verify")
def ledger_verify() -> None:
    """核对每个余额与库存都等于其分录之和，每笔交易借贷平衡，哈希链完整。"""
    from pos.verify import verify_all

    context = cli_context()
    with context.db.session() as session:
        problems, checked = verify_all(session)
    for line in checked:
        click.echo(line)
    if problems:
        click.echo(f"发现 {len(problems)} 处问题：", err=True)
        for problem in problems:
            click.echo(f"  - {problem}", err=True)
        sys.exit(1)
    click.echo("核对通过。")


@main.group()
def report() -> None:
    """报表。"""


report.add_command(cards_cli.fund_report)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
def backup(path: str) -> None:
    """把数据库一致地复制到 PATH（SQLite 用在线备份；PostgreSQL 用 pg_dump）。"""
    context = cli_context()
    url = make_url(context.settings.database.url)
    target = Path(path)
    if target.exists():
        fail(f"错误：{target} 已存在，不会覆盖")
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        context.db  # noqa: B018 - opens and checks the database
        source = sqlite3.connect(url.database or ":memory:")
        try:
            destination = sqlite3.connect(target)
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
    else:
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            fail("错误：找不到 pg_dump，无法备份 PostgreSQL")
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        result = subprocess.run(  # noqa: S603 - fixed program, our own arguments
            [pg_dump, "--format=custom", f"--file={target}", dsn],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            target.unlink(missing_ok=True)
            fail(f"错误：pg_dump 失败：{result.stderr.strip()}")
    click.echo(f"已备份到 {target}（{target.stat().st_size} 字节）")


main.add_command(cards_cli.beneficiaries)
main.add_command(cards_cli.cards)
main.add_command(cards_cli.topup)
main.add_command(inventory_cli.products)
main.add_command(clothing_cli.clothing)
