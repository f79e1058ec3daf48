"""Store-wide commands about the store's data and its record: `charity audit` (the control log,
read-only), `charity keys rotate` (personal data re-encrypted under a new data key) and
`charity backup` (a consistent copy, mode 600, which holds the personal data encrypted only)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from cards.services import personal
from core import audit
from core.cli import cli_context, fail, output_file
from core.keys import DataKeys, replace_demo_key
from pos.services import audit_log

NEW_KEY_ENV = "CHARITY_NEW_DATA_KEY"


@click.command("audit")
@click.option("--since", default="", metavar="YYYY-MM-DD", help="从这一天（门店时间）起")
@click.option("--until", default="", metavar="YYYY-MM-DD", help="到这一天（含）为止")
@click.option("--kind", default="", metavar="KIND", help="只看一种事件（如 login、export）")
@click.option("--actor", default="", help="只看某位员工（用户名）")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def audit_command(since: str, until: str, kind: str, actor: str, fmt: str) -> None:
    """安全与操作审计日志（只读）：登录、退货、调整、充值、发卡挂失补卡、状态变更、名册导入、
    调价、查看完整身份证号、导出、月结等。json：[{at, actor, kind, subject, detail, ...}]。"""
    where = audit_log.AuditFilter.parse(since=since, until=until, kind=kind, actor=actor)
    context = cli_context()
    tz = context.settings.tz
    with context.db.session(write=False) as session:
        found = audit_log.entries(session, where, tz=tz)
        if fmt == "json":
            click.echo("[", nl=False)
            for n, entry in enumerate(found):
                text = json.dumps(entry.to_json(), ensure_ascii=False)
                click.echo(("," if n else "") + "\n  " + text, nl=False)
            click.echo("\n]")
            return
        count = 0
        for entry in found:
            click.echo(audit_log.table_line(entry, tz=tz))
            count += 1
    click.echo(f"共 {count} 条")


@click.group("keys")
def keys() -> None:
    """数据密钥（加密身份证号与电话）。"""


@keys.command("rotate")
@click.option("--new-key-stdin", is_flag=True, help="从标准输入读取新密钥（一行 base64）")
def rotate(new_key_stdin: bool) -> None:
    """用新密钥重新加密并重建索引：所有身份证号与电话，并为账本哈希链重新加封，一个事务内
    完成（全做或全不做；账本链在旧密钥下核对不通过时拒绝）。

    需要旧密钥：当前配置的 security.data_key（或 CHARITY_DATA_KEY）。新密钥（32 字节随机数的
    base64）从 --new-key-stdin 或环境变量 CHARITY_NEW_DATA_KEY 读取。完成后把配置改为新密钥
    并重启服务。"""
    text = _new_key_text(new_key_stdin)
    new = DataKeys.from_text(text, what="新密钥")
    context = cli_context()
    old = context.keys
    if new.key_id == old.key_id:
        fail("错误：新密钥与当前密钥相同，无需更换")
    with context.transaction() as session:
        done = personal.rotate_keys(
            session, old=old, new=new, actor=context.actor, at=context.now()
        )
    click.echo(
        f"已用新密钥（编号 {new.key_id}）重新加密 {done.people} 名救助对象、{done.proxies} 名"
        f"代领人的身份证号与电话（原密钥编号 {old.key_id}"
        + (f"；{done.already} 条已是新密钥" if done.already else "")
        + f"），账本哈希链 {done.ledger_txns} 笔交易已用新密钥重新加封。"
    )
    settings = context.settings
    if not settings.security.data_key:  # a demo store's key file: it follows by itself
        path = replace_demo_key(settings.instance_dir, new)
        click.echo(f"演示门店的密钥文件 {path} 已换成新密钥。")
        return
    click.echo(
        f"现在请把 security.data_key（或环境变量 CHARITY_DATA_KEY）设为新密钥（编号 "
        f"{new.key_id}），然后重启 charity serve：在此之前仍用旧密钥的服务读不出这些号码。"
    )
    click.echo("旧密钥请离线妥善保存：此前打印或导出的账本封印仍需用它核对。")


def _new_key_text(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline() if sys.stdin is not None and not sys.stdin.closed else ""
        if not line.strip():
            fail("错误：--new-key-stdin：标准输入是空的，应为一行新密钥（base64）")
        return line.strip()
    text = os.environ.get(NEW_KEY_ENV, "").strip()
    if not text:
        fail(
            f"错误：请给出新密钥：--new-key-stdin 从标准输入读取，或设置环境变量 {NEW_KEY_ENV}"
            '（生成：python -c "import base64,secrets;'
            'print(base64.b64encode(secrets.token_bytes(32)).decode())"）'
        )
    return text


@click.command()
@click.argument("path")
def backup(path: str) -> None:
    """把数据库一致地复制到 PATH（SQLite 用在线备份；PostgreSQL 用 pg_dump）。

    备份文件权限为 600（只有本用户可读）；身份证号与电话在备份中也是加密的，恢复后需要同一个
    数据密钥。PATH 所在目录须已存在；已有的文件不会被覆盖。"""
    context = cli_context()
    url = make_url(context.settings.database.url)
    target = output_file(path, what="备份文件", overwrite=False)
    db = context.db  # opens the database and checks it has been initialised
    _warn_about_folder(target.parent)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(descriptor)
    # Logged first, so that the copy holds the record of its own making.
    audit.record_now(
        db.engine,
        "backup",
        actor=context.actor,
        at=context.now(),
        subject=str(target.resolve())[:128],
    )
    if url.get_backend_name() == "sqlite":
        problem = _sqlite_backup(url.database or ":memory:", target)
    else:
        problem = _pg_dump(
            url.set(drivername="postgresql").render_as_string(hide_password=False), target
        )
    if problem is not None:
        target.unlink(missing_ok=True)
        audit.record_now(
            db.engine,
            "backup",
            actor=context.actor,
            at=context.now(),
            subject=str(target.resolve())[:128],
            detail={"problem": problem[:200]},
            outcome="failed",
        )
        fail(f"错误：{problem}")
    os.chmod(target, 0o600)
    size = target.stat().st_size
    click.echo(f"已备份到 {target}（{size} 字节，权限 600）")


def _warn_about_folder(folder: Path) -> None:
    """A folder anyone may write to (and not sticky) lets others replace or delete the backup:
    said, not refused (the file itself stays private). A folder others may only read is fine:
    the file's own mode keeps its content private."""
    mode = folder.stat().st_mode
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        click.echo(
            f"警告：目录 {folder} 任何人都可以写入，别人可以删除或替换这份备份；"
            "建议备份到只有本用户可写的目录",
            err=True,
        )


def _sqlite_backup(source_path: str, target: Path) -> str | None:
    """Copy with SQLite's online backup; what went wrong, or None."""
    source = sqlite3.connect(source_path)
    try:
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
    except sqlite3.Error as exc:
        return f"无法写入备份文件 {target}：{exc}"
    finally:
        source.close()
    return None


def _pg_dump(dsn: str, target: Path) -> str | None:
    """Copy with pg_dump (custom format); what went wrong, or None."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        return "找不到 pg_dump，无法备份 PostgreSQL"
    result = subprocess.run(  # noqa: S603 - fixed program, our own arguments
        [pg_dump, "--format=custom", f"--file={target}", dsn],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return f"pg_dump 失败：{result.stderr.strip()}"
    return None
