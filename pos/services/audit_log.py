"""Reading the audit log (`core.audit`) as the command line (`charity audit`) and the admin page
show it: the filters they accept, checked the same way (a date as YYYY-MM-DD in store time, a
kind the log knows), the kinds' Chinese names, and a page of entries. Read-only: nothing here,
or anywhere in the application, changes an event."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sqlalchemy.orm import Session

from core import audit
from core.errors import ValidationError

KINDS: tuple[str, ...] = audit.AUDIT_KINDS + audit.EXTRA_KINDS

KIND_LABELS: dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "user_add": "添加员工",
    "user_disable": "停用员工",
    "password_change": "修改密码",
    "refund": "退货",
    "adjustment": "余额调整",
    "adjustment_approve": "调整审批",
    "topup_prepare": "准备充值",
    "topup_approve": "充值审批",
    "card_issue": "发卡",
    "card_freeze": "挂失/冻结",
    "card_replace": "补卡",
    "status_change": "状态变更",
    "roster_import": "名册导入",
    "price_change": "调价",
    "id_reveal": "查看完整身份证号",
    "export": "导出个人信息",
    "month_close": "月结",
    "adjustment_reject": "调整驳回",
    "topup_cancel": "取消充值",
    "user_enable": "启用员工",
    "role_change": "变更角色",
    "token_revoke": "吊销令牌",
    "day_close": "日结",
    "key_rotate": "更换数据密钥",
    "backup": "备份",
    "card_unfreeze": "解除挂失",
}

OUTCOME_LABELS = {"ok": "成功", "refused": "拒绝", "failed": "失败"}

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(text: str, *, what: str) -> date:
    """A day written YYYY-MM-DD, or a one-line refusal naming `what` and the value."""
    value = text.strip()
    try:
        if not _DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{what} 应为 YYYY-MM-DD 格式的日期（如 2026-12-01），收到“{text}”"
        ) from None


def check_kind(kind: str) -> str:
    """A kind the log knows, or a one-line refusal listing them."""
    value = kind.strip()
    if value not in KINDS:
        raise ValidationError(f"未知的审计事件类型“{kind}”，可选：{'、'.join(KINDS)}")
    return value


def day_start(day: date, tz: tzinfo) -> datetime:
    """The instant (UTC) a store day begins."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class AuditFilter:
    """What the log is searched by: days in store time (`until` included), kinds, an actor's
    name, part of the subject."""

    since: date | None = None
    until: date | None = None
    kinds: tuple[str, ...] = ()
    actor: str = ""
    subject: str = ""

    @classmethod
    def parse(
        cls,
        *,
        since: str = "",
        until: str = "",
        kind: str = "",
        actor: str = "",
        subject: str = "",
    ) -> AuditFilter:
        """The filters as typed (blank: no filter), checked."""
        return cls(
            since=parse_day(since, what="起始日期 --since") if since.strip() else None,
            until=parse_day(until, what="截止日期 --until") if until.strip() else None,
            kinds=(check_kind(kind),) if kind.strip() else (),
            actor=actor.strip(),
            subject=subject.strip(),
        )


def entries(
    session: Session,
    where: AuditFilter,
    *,
    tz: tzinfo,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> Iterator[audit.AuditEntry]:
    """The events matching `where` (streamed)."""
    return audit.search(
        session,
        since=day_start(where.since, tz) if where.since else None,
        until=day_start(where.until + timedelta(days=1), tz) if where.until else None,
        kinds=where.kinds,
        actor=where.actor,
        subject=where.subject,
        limit=limit,
        offset=offset,
        newest_first=newest_first,
    )


@dataclass(frozen=True)
class AuditPage:
    """One page of the admin page's list, newest first."""

    entries: list[audit.AuditEntry]
    number: int
    has_next: bool


def page(
    session: Session, where: AuditFilter, *, tz: tzinfo, number: int, size: int = 50
) -> AuditPage:
    """Page `number` (from 1) of the events matching `where`, newest first."""
    number = max(1, number)
    found = list(
        entries(
            session,
            where,
            tz=tz,
            limit=size + 1,
            offset=(number - 1) * size,
            newest_first=True,
        )
    )
    return AuditPage(entries=found[:size], number=number, has_next=len(found) > size)


def detail_text(entry: audit.AuditEntry) -> str:
    """The detail as one line of JSON (Chinese kept readable)."""
    return json.dumps(entry.detail, ensure_ascii=False, sort_keys=True) if entry.detail else ""


def table_line(entry: audit.AuditEntry, *, tz: tzinfo) -> str:
    """One event as a line of `charity audit`'s table."""
    at = entry.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    parts = [
        at,
        entry.kind,
        entry.actor or "-",
        entry.subject or "-",
        OUTCOME_LABELS.get(entry.outcome, entry.outcome),
        entry.address or "-",
        detail_text(entry),
    ]
    return "  ".join(parts).rstrip()
