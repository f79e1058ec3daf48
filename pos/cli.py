"""The `charity` command line: gathers every package's command groups and adds the store-wide ones
(init, serve, user, ledger, report; audit, keys and backup from `pos.admin_cli`)."""

from __future__ import annotations

import getpass
import sys

import click

from cards import cli as cards_cli
from clothing_exchange import cli as clothing_cli
from core.auth import Role, add_user
from core.cli import CharityGroup, CliContext, cli_context, fail, os_reason
from core.db import is_empty
from core.keys import DataKeys, resolve_keys
from inventory import cli as inventory_cli
from pos import admin_cli

_ROLES = [r.value for r in Role]


@click.group(cls=CharityGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    envvar="CHARITY_CONFIG",
    metavar="FILE",
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
    """创建或升级数据库结构（迁移）。库中有尚未加密的身份证号与电话时，需要数据密钥
    （security.data_key 或 CHARITY_DATA_KEY）来加密它们。"""
    from pos import migrate  # alembic: only the commands that migrate pay for importing it

    context = cli_context()
    engine = context.database(require_schema=False).engine
    notes: list[str] = []
    heads = migrate.upgrade(engine, keys=lambda: context.keys, notes=notes)
    for note in notes:
        click.echo(note)
    click.echo(f"数据库已是最新结构（{', '.join(heads)}）：{context.settings.database.url}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="空库时先载入演示数据，并打印演示账号")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, demo: bool, threads: int) -> None:
    """启动门店服务（waitress）。"""
    from waitress import create_server

    from pos import migrate
    from pos.app import create_app

    context = cli_context()
    settings = context.settings
    if not settings.security.secret_key and not demo:
        fail("错误：未设置 security.secret_key（或环境变量 CHARITY_SECRET_KEY）；演示请加 --demo")
    db = context.database(require_schema=not demo)
    if demo:

        def demo_keys() -> DataKeys:  # the app's own: a demo store's key file, or data_key
            return resolve_keys(settings.security.data_key, settings.instance_dir, demo=True)

        fresh = is_empty(db.engine)
        migrate.upgrade(db.engine, keys=demo_keys)
        if fresh:
            from pos.demo import load_demo

            with db.transaction() as session:
                lines = load_demo(session, settings, keys=demo_keys(), at=context.now())
            for line in lines:
                click.echo(line)
        else:
            click.echo("数据库已有数据，未重复载入演示数据。演示账号见 README。")
    elif not migrate.is_current(db.engine):
        fail("错误：数据库结构不是最新，请先运行 charity init")
    app = create_app(settings, database=db, clock=context.clock, demo=demo)
    try:  # bind first: a wrong host or a port in use is a refusal, not a traceback
        server = create_server(app, host=host, port=port, threads=threads, ident="charity")
    except (OSError, ValueError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else f"地址或端口无效（{exc}）"
        fail(f"错误：无法在 {host}:{port} 上启动服务：{reason}")
    click.echo(f"{settings.store.name} 已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("已停止。")


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
        if sys.stdin is None or sys.stdin.closed:
            fail("错误：--password-stdin：标准输入已关闭，读不到密码")
        line = sys.stdin.readline()
        if not line:
            fail("错误：--password-stdin：标准输入是空的，应为一行密码")
        password = line.rstrip("\r\n")
    else:
        if sys.stdin is None or not sys.stdin.isatty():
            fail("错误：没有终端可以输入密码；请加 --password-stdin 并从标准输入传入一行密码")
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
    from pos.services.verify import verify_all

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
    """报表：fund 慈善购物卡资金月报。"""


report.add_command(cards_cli.fund_report)


main.add_command(cards_cli.beneficiaries)
main.add_command(cards_cli.cards)
main.add_command(cards_cli.topup)
main.add_command(inventory_cli.products)
main.add_command(clothing_cli.clothing)
main.add_command(admin_cli.audit_command)
main.add_command(admin_cli.keys)
main.add_command(admin_cli.backup)
