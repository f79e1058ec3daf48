"""Command line of the cards package: beneficiaries, cards, top-ups, ledger expiry (the fund
report and the month close need the host's sales figures: `pos.report_cli`).
Each command is thin: it reads the clock and the actor, calls services, commits once."""

from __future__ import annotations

import io
import sys

import click

from cards.services import beneficiaries as people_service
from cards.services import card_export, roster, topup_preview
from cards.services import cards as card_service
from cards.services import topup as topup_service
from cards.services.expiry import expire as expire_credit
from cards.services.text import mask_id_number, normalise_id_number
from core import audit
from core.cli import cli_context, fail, input_file, output_xlsx
from core.errors import ValidationError
from core.export import csv_text, write_xlsx
from core.money import Money

beneficiaries = click.Group("beneficiaries", help="救助对象名册：导入、状态变更")
cards = click.Group("cards", help="慈善购物卡：发卡、挂失、补卡、列表")


@beneficiaries.command("import")
@click.argument("file")
@click.option("--commit", is_flag=True, help="真正导入（默认只预览，不写入）")
@click.option("--skip-invalid", is_flag=True, help="与 --commit 一起：跳过无效行，导入其余行")
@click.option("--exit-missing", is_flag=True, help="与 --commit 一起：新名册中没有的人标记为退出")
@click.option("--limit", default=20, show_default=True, help="预览中每类最多列出几人")
def import_roster(
    file: str, commit: bool, skip_invalid: bool, exit_missing: bool, limit: int
) -> None:
    """导入救助对象名册（.xlsx、.xls、.ods，或 UTF-8/GBK/GB18030 编码的 .csv）。

    不加 --commit 只预览：列出将新增、变更的人和每个无效行（行号按文件算，表头为第 1 行），
    不写入。--commit 全部导入或全部不导入；有无效行时拒绝，除非加 --skip-invalid。"""
    if (skip_invalid or exit_missing) and not commit:
        raise click.UsageError("--skip-invalid 与 --exit-missing 需与 --commit 一起使用")
    context = cli_context()
    settings = context.settings
    path = input_file(file, what="名册文件")
    data = path.read_bytes()
    at = context.now()
    with context.transaction() as session:
        total = max(data.count(b"\n"), 1)
        show_bar = total > 5000 and sys.stderr.isatty()
        with click.progressbar(
            length=total, label="读取名册", file=sys.stderr if show_bar else io.StringIO()
        ) as bar:
            plan = roster.plan_import(
                session,
                data,
                path.name,
                keys=context.keys,
                categories=settings.allowance.categories,
                at=at,
                tz=settings.tz,
                progress=bar.update,
            )
        if plan.rows_read == 0:
            raise ValidationError(f"名册文件 {path.name} 只有表头，没有任何数据行")
        for line in roster.describe_plan(plan, limit=limit, errors=False):
            click.echo(line)
        if plan.errors:
            click.echo(f"无效行（{len(plan.errors)}）：", err=True)
            for error in plan.errors:
                click.echo(f"  {error}", err=True)
        if not commit:
            click.echo("（预览：未写入任何数据；确认无误后加 --commit 导入）")
            if plan.errors:
                sys.exit(1)
            return
        if plan.errors and not skip_invalid and plan.previous is None:
            fail(
                f"错误：名册有 {len(plan.errors)} 行无效（见上），整份文件未导入；"
                "改正后重新导入，或加 --skip-invalid 只导入有效行"
            )
        record = roster.apply_import(
            session,
            plan,
            skip_invalid=skip_invalid,
            exit_missing=exit_missing,
            at=at,
            actor=context.actor,
            tz=settings.tz,
        )
        if record is None:
            done = "此文件已导入过，没有任何变化。"
        else:
            done = (
                f"已导入：新增 {record.added} 人，变更 {record.changed} 人，"
                f"退出 {record.exited} 人，跳过无效行 {record.skipped} 行。"
            )
    click.echo(done)


@beneficiaries.command("set-status")
@click.argument("id_number")
@click.argument("status", type=click.Choice(["active", "suspended", "exited"]))
@click.option("--reason", required=True, help="变更原因")
def set_status(id_number: str, status: str, reason: str) -> None:
    """变更一名救助对象的状态（正常、暂停、退出）。"""
    context = cli_context()
    with context.transaction() as session:
        change = people_service.set_status(
            session,
            id_number,
            status,
            keys=context.keys,
            reason=reason,
            at=context.now(),
            tz=context.settings.tz,
            actor=context.actor,
        )
        person = change.beneficiary
        line = (
            f"{person.name}（{mask_id_number(normalise_id_number(id_number))}）："
            f"{people_service.STATUS_LABELS[change.from_status or 'active']} → "
            f"{people_service.STATUS_LABELS[status]}，原因：{change.reason}"
        )
    click.echo(line)


@cards.command("issue")
@click.option(
    "--all", "all_", is_flag=True, required=True, help="给每位尚无卡的正常状态救助对象发卡"
)
def issue(all_: bool) -> None:
    """发卡。"""
    context = cli_context()
    with context.transaction() as session:
        issued = card_service.issue_all(session, at=context.now(), actor=context.actor)
        count = len(issued)
    click.echo(f"已发卡 {count} 张。")


@cards.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table")
@click.option("--xlsx", "xlsx_path", help="另存为可打印的 Excel 文件（.xlsx；所在目录须已存在）")
def list_cards(fmt: str, xlsx_path: str | None) -> None:
    """列出所有卡。表格中的身份证号脱敏；--format csv 与 --xlsx 给出完整身份证号（命令行是民政局
    自己的），每次导出都记入审计日志（export）。"""
    context = cli_context()
    settings = context.settings
    target = output_xlsx(xlsx_path) if xlsx_path is not None else None
    exports = [f for f, wanted in (("csv", fmt == "csv"), ("xlsx", target is not None)) if wanted]
    with context.transaction() as session:
        rows = card_service.card_register(session, keys=context.keys)
        for kind in exports:  # full ID numbers: an export of personal data
            audit.record(
                session,
                "export",
                actor=context.actor,
                at=context.now(),
                subject="cards list",
                detail={"format": kind, "rows": len(rows), "personal": ["id_number", "name"]},
            )
    if target is not None:
        report = card_export.card_list_report(
            rows, store=settings.store.name, at=context.now(), tz=settings.tz
        )
        write_xlsx(report, target)
    if fmt == "csv":
        table = card_export.card_list_csv(rows, base_url=settings.balance_page.base_url)
        click.echo(csv_text(table, newline="\n"), nl=False)
        return
    for card_no, id_no, name, category, status, fen, _ in rows:
        click.echo(
            f"{card_no}  {mask_id_number(id_no)}  {name:<6}\t{category}  "
            f"{card_service.CARD_STATUS_LABELS[status]:<8}\t{Money(fen).format()}"
        )
    click.echo(f"共 {len(rows)} 张卡")
    if target is not None:
        click.echo(f"已保存 {target}")


def _require_card_no(card_no: str) -> None:
    if not card_no.strip():
        raise ValidationError("请给出卡号（CARD_NO 是空的）")


@cards.command("freeze")
@click.argument("card_no")
@click.option("--reason", required=True, help="挂失或冻结原因")
def freeze(card_no: str, reason: str) -> None:
    """挂失/冻结一张卡：此后任何收银台都不再接受。"""
    _require_card_no(card_no)
    context = cli_context()
    with context.transaction() as session:
        card = card_service.freeze_card(
            session, card_no, reason=reason, at=context.now(), actor=context.actor
        )
        number = card.card_no
    click.echo(f"卡 {number} 已冻结（{reason}）")


@cards.command("unfreeze")
@click.argument("card_no")
@click.option("--reason", required=True, help="解除挂失的原因（如：卡已找回）")
def unfreeze(card_no: str, reason: str) -> None:
    """解除挂失：找回的卡恢复使用（账户没有另一张正常的卡时）。"""
    _require_card_no(card_no)
    context = cli_context()
    with context.transaction() as session:
        card = card_service.unfreeze_card(
            session, card_no, reason=reason, at=context.now(), actor=context.actor
        )
        number = card.card_no
    click.echo(f"卡 {number} 已恢复使用（{reason}）")


@cards.command("replace")
@click.argument("card_no")
def replace(card_no: str) -> None:
    """补卡：同一账户发新卡（新卡号、新二维码），旧卡注销；打印新卡号。"""
    _require_card_no(card_no)
    context = cli_context()
    with context.transaction() as session:
        new = card_service.replace_card(session, card_no, at=context.now(), actor=context.actor)
        number = new.card_no
    click.echo(number)


@click.command("topup")
@click.argument("month")
@click.option("--dry-run", is_flag=True, help="只显示预览与对账数，不写入")
def topup(month: str, dry_run: bool) -> None:
    """按月为符合条件的账户充值（MONTH 为 YYYY-MM，最多到下个月）；同一月份再次运行只给尚未
    充值的人充值。"""
    context = cli_context()
    settings = context.settings
    at = context.now()
    with (
        context.transaction() as session,
        click.progressbar(
            length=len(topup_service.POST_STEPS),
            label="入账",
            file=sys.stderr if sys.stderr.isatty() else io.StringIO(),
            show_pos=True,
        ) as bar,
    ):
        period = topup_preview.parse_month(month, at=at, settings=settings)
        if not dry_run:  # a month's allowance is never posted before it begins (store time)
            topup_service.require_month_begun(settings, period, at)

        def step(name: str) -> None:
            bar.label = f"入账：{name}"
            bar.update(1)

        outcome = topup_service.run_topup(
            session, settings, period, at=at, actor=context.actor, dry_run=dry_run, progress=step
        )
        for earlier in outcome.due:
            click.echo(
                f"已入账此前审批的批次 #{earlier.id}（{earlier.month}）：{earlier.people} 人，"
                f"合计 {Money(earlier.amount_fen).format()}"
            )
        for line in outcome.preview.lines():
            click.echo(line)
        if dry_run:
            click.echo("（试运行：未写入任何数据）")
            return
        run = outcome.run
        if run is None:
            done = f"{period} 没有尚未充值的符合条件账户，未做任何改动。"
        elif outcome.posted:
            done = f"已入账：批次 #{run.id}，{run.people} 人，合计 {Money(run.amount_fen).format()}"
            left = topup_service.skipped(run)
            if left:
                done += f"\n已不符合条件、未入账 {len(left)} 人：" + "、".join(left)
        else:
            done = (
                f"已准备充值批次 #{run.id}（{run.people} 人，{Money(run.amount_fen).format()}），"
                "须由另一位民政局工作人员在后台审批后入账"
            )
    click.echo(done)


@click.command("expire")
def expire() -> None:
    """按 allowance.unspent = "expire" 把过期未用的补贴转入过期科目。"""
    context = cli_context()
    settings = context.settings
    at = context.now()
    if settings.allowance.unspent != "expire":
        click.echo("allowance.unspent 为 carry_over（结转），没有需要过期的补贴。")
        return
    with context.transaction() as session:
        result = expire_credit(
            session, settings, topup_preview.month_of(at, settings), at=at, actor=context.actor
        )
    click.echo(f"已过期 {result.accounts} 个账户，合计 {result.amount.format()}")
