"""The bureau's roster import: read a .xlsx or .csv (UTF-8, UTF-8 with BOM, GBK, GB18030),
normalise what real files contain, name every invalid row by its spreadsheet row number (the
header is row 1), compare with the registry, and apply all or nothing. A file already imported
(same content) changes nothing."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from stdnum.cn import ric

from cards.models import Account, Beneficiary, RosterImport, StatusChange
from cards.services import mask_id_number, normalise_id_number, normalise_text
from core.auth import Actor
from core.errors import Conflict, ValidationError
from core.periods import local_date
from core.tabular import raw_rows

# Header spellings accepted for each field (Chinese as in the bureau's files, English too).
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "公民身份号码", "id_number", "id"),
    "category": ("类别", "救助类别", "category"),
    "town": ("镇街", "乡镇街道", "乡镇(街道)", "街道", "town"),
    "community": ("村社区", "村(社区)", "社区", "村", "community"),
    "phone": ("联系电话", "电话", "手机", "手机号", "phone"),
    "household_size": ("家庭人口", "人口", "household_size", "household"),
}
REQUIRED = ("name", "id_number", "category")
FIELD_LABELS = {
    "name": "姓名",
    "id_number": "身份证号",
    "category": "类别",
    "town": "镇街",
    "community": "村社区",
    "phone": "联系电话",
    "household_size": "家庭人口",
}
COMPARED = ("name", "category", "town", "community", "phone", "household_size")
_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?E\+?[0-9]+$", re.IGNORECASE)


@dataclass(frozen=True)
class RosterRow:
    row: int
    id_number: str
    name: str
    category: str
    town: str
    community: str
    phone: str
    household_size: int

    def values(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in COMPARED}


@dataclass(frozen=True)
class RowError:
    row: int
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行：{self.message}"


@dataclass
class ImportPlan:
    """What an import would do: the preview, and what `apply_import` carries out."""

    filename: str
    content_hash: str
    encoding: str
    rows_read: int
    valid: list[RosterRow]
    errors: list[RowError]
    new: list[RosterRow] = field(default_factory=list)
    changed: list[tuple[RosterRow, int, dict[str, tuple[Any, Any]]]] = field(default_factory=list)
    reactivated: list[tuple[RosterRow, int]] = field(default_factory=list)
    missing: list[tuple[int, str, str, str]] = field(
        default_factory=list
    )  # id, id_no, name, status
    unchanged: int = 0
    previous: RosterImport | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


# --- reading ---------------------------------------------------------------------------------


def _header_map(header: Sequence[Any]) -> dict[str, int]:
    wanted = {
        normalise_text(alias).lower(): name
        for name, aliases in HEADERS.items()
        for alias in aliases
    }
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = normalise_text(str(cell or "")).lower()
        name = wanted.get(key)
        if name is not None and name not in found:
            found[name] = index
    missing = [FIELD_LABELS[f] for f in REQUIRED if f not in found]
    if missing:
        raise ValidationError(
            f"第 1 行（表头）缺少列：{'、'.join(missing)}（应有：姓名、身份证号、类别）"
        )
    return found


def check_id_number(raw: Any, *, today: date) -> tuple[str, str | None]:
    """(normalised number, None) or (what was given, the reason it is refused)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw), (
            f"身份证号被 Excel 存成了数字（{raw!r}），末几位已丢失；请把该列设置为“文本”后重新录入"
        )
    text = normalise_id_number(str(raw or ""))
    if not text:
        return text, "缺少身份证号"
    if _SCIENTIFIC.match(text) or (text.endswith(".0") and text[:-2].isdigit()):
        return text, (
            f"身份证号 {text} 被 Excel 存成了数字，末几位已丢失；请把该列设置为“文本”后重新录入"
        )
    if len(text) != 18:
        return text, f"身份证号 {text} 位数不对（应为 18 位，实为 {len(text)} 位）"
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return text, f"身份证号 {text} 含有无效字符（前 17 位应为数字，末位为数字或 X）"
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return text, f"身份证号 {text} 中的出生日期 {text[6:14]} 不存在"
    if born > today or born.year < 1890:
        return text, f"身份证号 {text} 中的出生日期 {text[6:14]} 不可能"
    if ric.calc_check_digit(text) != text[17]:
        return text, f"身份证号 {text} 校验位错误（可能抄错了某一位），请核对原件"
    return text, None


def _cell(row: Sequence[Any], index: int | None) -> Any:
    if index is None or index >= len(row):
        return None
    return row[index]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_roster(
    data: bytes,
    filename: str,
    *,
    categories: Sequence[str],
    today: date,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[RosterRow], list[RowError], str, int]:
    """Parse and check every row: (valid rows, errors, encoding, rows read)."""
    rows, encoding = raw_rows(data, filename)
    try:
        header = next(rows)
    except StopIteration:
        raise ValidationError("文件是空的（没有表头）") from None
    columns = _header_map(header)
    valid: list[RosterRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    allowed = set(categories)
    read = 0
    for number, raw in enumerate(rows, start=2):
        if progress is not None and number % 1000 == 0:
            progress(1000)
        if not raw or all(_text(c) == "" for c in raw):
            continue
        read += 1
        problems: list[str] = []
        id_number, id_problem = check_id_number(_cell(raw, columns["id_number"]), today=today)
        if id_problem:
            problems.append(id_problem)
        name = normalise_name(_text(_cell(raw, columns["name"])))
        if not name:
            problems.append("缺少姓名")
        elif len(name) > 64:
            problems.append("姓名太长")
        category = normalise_text(_text(_cell(raw, columns["category"])))
        if not category:
            problems.append("缺少类别")
        elif category not in allowed:
            problems.append(f"类别“{category}”无效，可选：{'、'.join(categories)}")
        size_text = normalise_text(_text(_cell(raw, columns.get("household_size"))))
        household = 1
        if size_text:
            if size_text.isdigit() and 1 <= int(size_text) <= 99:
                household = int(size_text)
            else:
                problems.append(f"家庭人口“{size_text}”应为 1 到 99 的整数")
        if id_problem is None:
            earlier = first_seen.get(id_number)
            if earlier is not None:
                problems.append(f"身份证号 {id_number} 与第 {earlier} 行重复")
            else:
                first_seen[id_number] = number
        if problems:
            errors.append(RowError(number, "；".join(problems)))
            continue
        valid.append(
            RosterRow(
                row=number,
                id_number=id_number,
                name=name,
                category=category,
                town=_text(_cell(raw, columns.get("town")))[:64],
                community=_text(_cell(raw, columns.get("community")))[:64],
                phone=normalise_text(_text(_cell(raw, columns.get("phone")))).replace("-", "")[:32],
                household_size=household,
            )
        )
    return valid, errors, encoding, read


def normalise_name(value: str) -> str:
    """Names lose spaces (also full-width ones); a middle dot is unified to '·'."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))
    return text.replace("•", "·").replace("・", "·").replace(".", "·")


# --- planning and applying -------------------------------------------------------------------


def plan_import(
    session: Session,
    data: bytes,
    filename: str,
    *,
    categories: Sequence[str],
    at: datetime,
    tz: ZoneInfo,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Read the file and compare it with the registry. Writes nothing."""
    content_hash = hashlib.sha256(data).hexdigest()
    valid, errors, encoding, read = read_roster(
        data, filename, categories=categories, today=local_date(at, tz), progress=progress
    )
    plan = ImportPlan(
        filename=filename,
        content_hash=content_hash,
        encoding=encoding,
        rows_read=read,
        valid=valid,
        errors=errors,
        previous=session.scalar(
            select(RosterImport).where(RosterImport.content_hash == content_hash)
        ),
    )
    existing = {
        row.id_number: row
        for row in session.execute(
            select(
                Beneficiary.id,
                Beneficiary.id_number,
                Beneficiary.status,
                *[getattr(Beneficiary, f) for f in COMPARED],
            )
        )
    }
    in_file = {r.id_number for r in valid}
    for row in valid:
        current = existing.get(row.id_number)
        if current is None:
            plan.new.append(row)
            continue
        changes = {
            f: (getattr(current, f), getattr(row, f))
            for f in COMPARED
            if getattr(current, f) != getattr(row, f)
        }
        if changes:
            plan.changed.append((row, current.id, changes))
        if current.status == "exited":
            plan.reactivated.append((row, current.id))
        elif not changes:
            plan.unchanged += 1
    for id_number, current in existing.items():
        if id_number not in in_file and current.status != "exited":
            plan.missing.append((current.id, id_number, current.name, current.status))
    return plan


def apply_import(
    session: Session,
    plan: ImportPlan,
    *,
    skip_invalid: bool,
    exit_missing: bool,
    at: datetime,
    actor: Actor,
    tz: ZoneInfo,
) -> RosterImport | None:
    """Carry out a plan, all or nothing (the caller's transaction). None when this very file was
    imported before (nothing changes)."""
    if plan.previous is not None:
        return None
    if plan.errors and not skip_invalid:
        raise ValidationError(
            f"名册有 {len(plan.errors)} 行无效，整份文件未导入（可加 --skip-invalid 跳过无效行）："
            + "；".join(str(e) for e in plan.errors[:5])
            + ("……" if len(plan.errors) > 5 else "")
        )
    if exit_missing and plan.errors:
        raise Conflict("名册中有无效行时不能同时使用 --exit-missing（无效行里的人会被误当作退出）")
    today = local_date(at, tz)
    who = {"actor_id": actor.user_id, "actor_name": actor.name}
    history: list[dict[str, Any]] = []
    if plan.new:
        people = [
            {
                "id_number": r.id_number,
                "status": "active",
                "created_at": at,
                "updated_at": at,
                **r.values(),
                **who,
            }
            for r in plan.new
        ]
        ids = session.scalars(
            insert(Beneficiary).returning(Beneficiary.id, sort_by_parameter_order=True), people
        ).all()
        session.execute(
            insert(Account),
            [{"beneficiary_id": i, "balance_fen": 0, "created_at": at} for i in ids],
        )
        history.extend(_history(i, None, "active", "名册导入：新增", today, at, who) for i in ids)
    if plan.changed:
        session.execute(
            update(Beneficiary),
            [
                {"id": person_id, **row.values(), "updated_at": at, **who}
                for row, person_id, _ in plan.changed
            ],
        )
    if plan.reactivated:
        session.execute(
            update(Beneficiary),
            [{"id": i, "status": "active", "updated_at": at, **who} for _, i in plan.reactivated],
        )
        history.extend(
            _history(i, "exited", "active", "名册导入：重新纳入", today, at, who)
            for _, i in plan.reactivated
        )
    exited = 0
    if exit_missing and plan.missing:
        session.execute(
            update(Beneficiary),
            [{"id": i, "status": "exited", "updated_at": at, **who} for i, *_ in plan.missing],
        )
        history.extend(
            _history(i, status, "exited", "名册导入：新名册中没有此人", today, at, who)
            for i, _, _, status in plan.missing
        )
        exited = len(plan.missing)
    if history:
        session.execute(insert(StatusChange), history)
    record = RosterImport(
        content_hash=plan.content_hash,
        filename=plan.filename[:255],
        rows=plan.rows_read,
        added=len(plan.new),
        changed=len(plan.changed) + len(plan.reactivated),
        exited=exited,
        skipped=len(plan.errors),
        at=at,
        **who,
    )
    session.expire_all()  # ORM objects loaded earlier see the bulk changes
    session.add(record)
    session.flush()
    return record


def _history(
    person_id: int,
    before: str | None,
    after: str,
    reason: str,
    today: date,
    at: datetime,
    who: dict[str, Any],
) -> dict[str, Any]:
    return {
        "beneficiary_id": person_id,
        "from_status": before,
        "to_status": after,
        "reason": reason,
        "effective_on": today,
        "at": at,
        **who,
    }


def describe_plan(
    plan: ImportPlan, *, limit: int = 20, mask: bool = False, errors: bool = True
) -> list[str]:
    """The preview as lines of text (the command line and the page both show it)."""
    show = mask_id_number if mask else (lambda s: s)
    lines = [
        f"文件 {plan.filename}（{plan.encoding}）：读取 {plan.rows_read} 行，"
        f"有效 {len(plan.valid)} 行，无效 {len(plan.errors)} 行",
    ]
    if plan.previous is not None:
        lines.append(
            f"此文件（内容相同）已于 {plan.previous.at:%Y-%m-%d %H:%M} UTC 导入过，不会重复导入"
        )
    lines.append(
        f"新增 {len(plan.new)} 人，信息变更 {len(plan.changed)} 人，重新纳入 "
        f"{len(plan.reactivated)} 人，无变化 {plan.unchanged} 人，名册中缺少 {len(plan.missing)} 人"
    )

    def section(title: str, items: list[str]) -> None:
        if not items:
            return
        lines.append(f"{title}（{len(items)}）：")
        lines.extend(f"  {item}" for item in items[:limit])
        if len(items) > limit:
            lines.append(f"  ……另有 {len(items) - limit} 条")

    section("新增", [f"{r.name} {show(r.id_number)} {r.category}" for r in plan.new])
    section(
        "变更",
        [
            f"{r.name} {show(r.id_number)}："
            + "，".join(f"{FIELD_LABELS[f]} {old} → {new}" for f, (old, new) in ch.items())
            for r, _, ch in plan.changed
        ],
    )
    section("重新纳入（原为退出）", [f"{r.name} {show(r.id_number)}" for r, _ in plan.reactivated])
    section(
        "名册中没有（不会自动退出，除非 --exit-missing）",
        [f"{name} {show(id_no)}" for _, id_no, name, _ in plan.missing],
    )
    if plan.errors and errors:
        lines.append(f"无效行（{len(plan.errors)}）：")
        lines.extend(f"  {e}" for e in plan.errors)
    return lines
