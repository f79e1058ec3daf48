"""The `charity` command line: gathers every package's command groups and adds the store-wide ones
(init, serve, user, store, ledger, report; audit, keys and backup from `pos.admin_cli`).
Staff account commands go through `core.accounts`, like the admin's page, and are logged as the
command line's operator (`cli:<os user>`)."""

from __future__ import annotations

import getpass
import json
import sys

import click

from cards import cli as cards_cli
from cards import qr
from cards.services.seals import parse_seal
from clothing_exchange import cli as clothing_cli
from core import accounts
from core.auth import Role
from core.cli import CharityGroup, CliContext, cli_context, fail, os_reason
from core.db import is_empty
from core.keys import DataKeys, resolve_keys
from core.stores import add_store, ensure_first_store, list_stores
from inventory import cli as inventory_cli
from pos import admin_cli, report_cli, report_lists_cli
from pos.demo import PUBLISHED_PASSWORDS

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
    db = context.database(require_schema=False)
    notes: list[str] = []
    heads = migrate.upgrade(db.engine, keys=lambda: context.keys, notes=notes)
    for note in notes:
        click.echo(note)
    with db.transaction() as session:
        first = ensure_first_store(session, context.settings.store, at=context.now())
    click.echo(f"数据库已是最新结构（{', '.join(heads)}）：{context.settings.database.url}")
    if first is not None:
        click.echo(f"已按 [store] 配置建立门店 {first.code}：{first.name}")


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
    if not demo:  # contract "Outside demo mode": a data key and a secret key of 32+ characters
        problem = settings.security.production_problem()
        if problem is not None:
            fail(f"错误：{problem}")
    db = context.database(require_schema=not demo)
    if demo:
        from pos.demo import DEMO_APPROVAL_LINE, demo_settings

        settings = demo_settings(settings)

        def demo_keys() -> DataKeys:  # the app's own: a demo store's key file, or data_key
            return resolve_keys(settings.security.data_key, settings.instance_dir, demo=True)

        fresh = is_empty(db.engine)
        migrate.upgrade(db.engine, keys=demo_keys)
        with db.transaction() as session:
            ensure_first_store(session, settings.store, at=context.now())
        if fresh:
            from pos.demo import load_demo

            with db.transaction() as session:
                lines = load_demo(session, settings, keys=demo_keys(), at=context.now())
            for line in lines:
                click.echo(line)
        else:
            click.echo("数据库已有数据，未重复载入演示数据。演示账号见 README。")
        click.echo(DEMO_APPROVAL_LINE)
    elif not migrate.is_current(db.engine):
        fail("错误：数据库结构不是最新，请先运行 charity init")
    app = create_app(settings, database=db, clock=context.clock, demo=demo)
    try:  # bind first: a wrong host or a port in use is a refusal, not a traceback
        server = create_server(app, host=host, port=port, threads=threads, ident="charity")
    except (OSError, ValueError) as exc:
        reason = os_reason(exc) if isinstance(exc, OSError) else f"地址或端口无效（{exc}）"
        fail(f"错误：无法在 {host}:{port} 上启动服务：{reason}")
    click.echo(f"{settings.store.name} 已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    warning = qr.serve_warning(host, settings.balance_page.base_url)
    if warning is not None:
        click.echo(warning, err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        click.echo("已停止。")


@main.group()
def user() -> None:
    """员工账号：add 添加、list 列表、disable 停用、enable 启用、password 设置密码。"""


def _read_password(password_stdin: bool) -> str:
    """One line from standard input (`--password-stdin`), or typed twice at a terminal."""
    if password_stdin:
        if sys.stdin is None or sys.stdin.closed:
            fail("错误：--password-stdin：标准输入已关闭，读不到密码")
        line = sys.stdin.readline()
        if not line:
            fail("错误：--password-stdin：标准输入是空的，应为一行密码")
        return line.rstrip("\r\n")
    if sys.stdin is None or not sys.stdin.isatty():
        fail("错误：没有终端可以输入密码；请加 --password-stdin 并从标准输入传入一行密码")
    password = getpass.getpass("密码：")
    if getpass.getpass("再输一次：") != password:
        fail("错误：两次输入的密码不一致")
    return password


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(_ROLES), required=True, help="角色")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行）")
@click.option("--display-name", default="", help="显示名（默认同用户名）")
def user_add(name: str, role: str, password_stdin: bool, display_name: str) -> None:
    """添加员工账号（收银员、店长、民政局、管理员）。"""
    password = _read_password(password_stdin)
    context = cli_context()
    with context.transaction() as session:
        created = accounts.create_account(
            session,
            name,
            password,
            role,
            at=context.now(),
            actor=context.actor,
            display_name=display_name,
            refused_passwords=PUBLISHED_PASSWORDS,
        )
        label = created.role_enum.label
    click.echo(f"已添加员工 {name}（{label}）")


@user.command("list")
def user_list() -> None:
    """列出员工账号：用户名、显示名、角色、状态、最近登录、在线会话与令牌（不含密码）。"""
    context = cli_context()
    tz = context.settings.tz
    at = context.now()
    with context.db.session(write=False) as session:
        rows = accounts.list_accounts(session, at=at)
        click.echo("用户名\t显示名\t角色\t状态\t最近登录\t在线会话\t令牌")
        for row in rows:
            u = row.user
            if not u.active:
                status = "已停用"
            elif u.locked_until is not None and u.locked_until > at:
                status = f"锁定至 {u.locked_until.astimezone(tz):%H:%M:%S}"
            else:
                status = "启用"
            last = f"{u.last_login_at.astimezone(tz):%Y-%m-%d %H:%M}" if u.last_login_at else "-"
            click.echo(
                f"{u.username}\t{u.display_name}\t{u.role_enum.label}\t{status}\t{last}\t"
                f"{row.live_sessions}\t{row.live_tokens}"
            )
    click.echo(f"共 {len(rows)} 个账号")


@user.command("disable")
@click.argument("name")
def user_disable(name: str) -> None:
    """停用账号：立即结束它所有的登录会话和令牌，此后拒绝它登录。"""
    context = cli_context()
    with context.transaction() as session:
        target = accounts.find_account(session, name)
        ended, revoked = accounts.disable_account(
            session, target, at=context.now(), actor=context.actor
        )
    click.echo(f"已停用 {name}：结束 {ended} 个登录会话，作废 {revoked} 个令牌")


@user.command("enable")
@click.argument("name")
def user_enable(name: str) -> None:
    """重新启用已停用的账号（之前的登录不会恢复）。"""
    context = cli_context()
    with context.transaction() as session:
        target = accounts.find_account(session, name)
        accounts.enable_account(session, target, at=context.now(), actor=context.actor)
    click.echo(f"已启用 {name}")


@user.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取新密码（一行）")
def user_password(name: str, password_stdin: bool) -> None:
    """设置新密码：解除锁定，并结束该账号所有的登录会话和令牌。"""
    context = cli_context()
    with context.db.session(write=False) as session:
        accounts.find_account(session, name)  # an unknown name is refused before the prompt
    password = _read_password(password_stdin)
    with context.transaction() as session:
        target = accounts.find_account(session, name)
        accounts.set_password(
            session,
            target,
            password,
            at=context.now(),
            actor=context.actor,
            refused_passwords=PUBLISHED_PASSWORDS,
        )
    click.echo(f"已为 {name} 设置新密码，其所有登录已结束")


@main.group()
def ledger() -> None:
    """账本：核对与过期处理。"""


ledger.add_command(cards_cli.expire)


@ledger.command("verify")
@click.option(
    "--seal",
    "seal_texts",
    multiple=True,
    metavar="SEQ:HASH",
    help="核对账本到这个封印（Z 报表、月结打印的）为止未被改动；可给多个",
)
@click.option(
    "--seal-key-stdin",
    is_flag=True,
    help="封印是换密钥（charity keys rotate）之前打印的：从标准输入读取当时的密钥（一行 base64）",
)
def ledger_verify(seal_texts: tuple[str, ...], seal_key_stdin: bool) -> None:
    """核对每个余额与库存都等于其分录之和，每笔交易借贷平衡，哈希链在密钥下完整，
    销售与退货的卡支付等于账本分录，每个账户每月只充值一次；--seal 核对封印。"""
    from pos.services.verify import closed_months_check, verify_all

    seals = [parse_seal(text) for text in seal_texts]
    seal_keys = None
    if seal_key_stdin:
        line = sys.stdin.readline() if sys.stdin is not None and not sys.stdin.closed else ""
        if not line.strip():
            fail("错误：--seal-key-stdin：标准输入是空的，应为一行封印当时的密钥（base64）")
        seal_keys = DataKeys.from_text(line, what="--seal-key-stdin 的密钥")
    context = cli_context()
    with context.db.session() as session:
        problems, checked = verify_all(
            session,
            context.keys,
            seals=seals,
            seal_keys=seal_keys,
            extra_checks=[closed_months_check(context.settings, report_cli.app_hooks())],
        )
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
    """报表：fund 慈善购物卡资金月报；dormant 走访名单；stock 库存估值。"""


report.add_command(report_cli.fund_report)
report.add_command(report_lists_cli.dormant_report)
report.add_command(report_lists_cli.stock_report)


@main.group()
def store() -> None:
    """门店：本项目下的各家慈善超市。"""


@store.command("add")
@click.argument("code")
@click.option("--name", required=True, help="门店名称")
@click.option("--address", default="", help="地址")
@click.option("--phone", default="", help="电话")
@click.option("--hours", default="", help="营业时间")
def store_add(code: str, name: str, address: str, phone: str, hours: str) -> None:
    """添加一家门店（CODE 为两位数字，如 02）。"""
    context = cli_context()
    with context.transaction() as session:
        made = add_store(
            session, code, name=name, address=address, phone=phone, hours=hours, at=context.now()
        )
        click.echo(f"已添加门店 {made.code}：{made.name}")


@store.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def store_list(fmt: str) -> None:
    """列出所有门店。"""
    context = cli_context()
    with context.db.session() as session:
        stores = list_stores(session)
    if fmt == "json":
        click.echo(json.dumps([s.to_json() for s in stores], ensure_ascii=False, indent=2))
        return
    for s in stores:
        click.echo(
            "  ".join(part for part in (s.code, s.name, s.address, s.phone, s.hours) if part)
        )


main.add_command(cards_cli.beneficiaries)
main.add_command(cards_cli.cards)
main.add_command(cards_cli.topup)
main.add_command(inventory_cli.products)
main.add_command(clothing_cli.clothing)
main.add_command(admin_cli.audit_command)
main.add_command(admin_cli.keys)
main.add_command(admin_cli.backup)
main.add_command(report_cli.month_group)
