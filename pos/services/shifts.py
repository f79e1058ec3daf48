"""Shifts (交接班): open with a float, X report at any time, close with a blind count by
denomination into a numbered, immutable Z report.

A shift belongs to the business day it was opened on (store time, `store.timezone`): once that
day is over it is stale, no new sale, held sale or refund joins it (`StaleShift`, a 409 that the
terminal answers by asking the cashier to count and close it), and a supervisor may close it
as not counted (未清点) when nobody can count that drawer any more."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, NotFound, ValidationError
from core.money import Money, MoneyError
from core.periods import local_date
from pos.models import HeldSale, Shift
from pos.printing.models import PrintJob
from pos.services.receipts import queue_shift_report
from pos.services.totals import shift_totals

# What a cash drawer holds, in yuan (Renminbi notes and coins in use).
DENOMINATIONS: tuple[str, ...] = (
    "100.00",
    "50.00",
    "20.00",
    "10.00",
    "5.00",
    "1.00",
    "0.50",
    "0.10",
)
MAX_FLOAT = Money(1_000_000)  # 10,000 yuan: anything above is a typing mistake


class StaleShift(Conflict):
    """The cashier's open shift was opened on an earlier business day: close it first.
    `details`: `reason` "stale_shift", `shift_id`, `business_date` (YYYY-MM-DD)."""


def business_date(shift: Shift, tz: tzinfo) -> date:
    """The business day a shift belongs to: the day it was opened, in store time."""
    return local_date(shift.opened_at, tz)


def is_stale(shift: Shift, *, at: datetime, tz: tzinfo) -> bool:
    """An open shift of an earlier business day than `at`'s."""
    return shift.status == "open" and business_date(shift, tz) < local_date(at, tz)


def stale_shift_error(shift: Shift, tz: tzinfo) -> StaleShift:
    day = business_date(shift, tz)
    return StaleShift(
        f"您在收银台 {shift.terminal} 的班次（{day:%Y-%m-%d} 开班）还没有交班，"
        "今天不能再记入这个班次：请先交班点钞（F10），再开始今天的收银；"
        "钱箱无法清点时请店长将该班次按“未清点”关闭",
        reason="stale_shift",
        shift_id=shift.id,
        business_date=day.isoformat(),
    )


def stale_shifts(session: Session, *, at: datetime, tz: tzinfo) -> list[Shift]:
    """Every open shift of an earlier business day, oldest first (the supervisor's to close)."""
    open_shifts = session.scalars(select(Shift).where(Shift.status == "open").order_by(Shift.id))
    return [shift for shift in open_shifts if is_stale(shift, at=at, tz=tz)]


def current_shift(session: Session, cashier_id: int) -> Shift | None:
    """The cashier's open shift, if any (there is at most one)."""
    return session.scalar(
        select(Shift).where(Shift.cashier_id == cashier_id, Shift.status == "open")
    )


def require_open_shift(session: Session, cashier_id: int) -> Shift:
    """The cashier's open shift, or NotFound."""
    shift = current_shift(session, cashier_id)
    if shift is None:
        raise NotFound("您当前没有开着的班次")
    return shift


def get_shift(session: Session, shift_id: int) -> Shift:
    """A shift by its id, or NotFound."""
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound(f"未找到班次 {shift_id}")
    return shift


def recent_shifts(session: Session, *, limit: int = 200) -> list[Shift]:
    """The latest shifts, newest first."""
    return list(session.scalars(select(Shift).order_by(Shift.id.desc()).limit(limit)))


def open_shift(
    session: Session, *, actor: Actor, terminal: str, opening_float: Money, at: datetime
) -> Shift:
    """Open a shift for the acting cashier; Conflict if one is already open."""
    if actor.user_id is None:
        raise ValidationError("开班需要员工账号")
    if opening_float.is_negative or opening_float > MAX_FLOAT:
        raise ValidationError(f"备用金 {opening_float.format()} 无效（0 至 {MAX_FLOAT.format()}）")
    terminal = terminal.strip()
    if not terminal or len(terminal) > 16:
        raise ValidationError("收银台编号不能为空，且不超过 16 个字符")
    if current_shift(session, actor.user_id) is not None:
        raise Conflict("您已有未交班的班次，请先交班")
    shift = Shift(
        terminal=terminal,
        cashier_id=actor.user_id,
        cashier_name=actor.name,
        opened_at=at,
        opening_float_fen=opening_float.fen,
    )
    session.add(shift)
    session.flush()
    return shift


def shift_for_work(
    session: Session, *, actor: Actor, terminal: str, at: datetime, tz: tzinfo
) -> Shift:
    """The acting user's open shift, or a new one with a zero float (API sales need no explicit
    shift, CONTRACT). StaleShift when the open one belongs to an earlier business day."""
    if actor.user_id is None:
        raise ValidationError("收银需要员工账号")
    shift = current_shift(session, actor.user_id)
    if shift is not None:
        if is_stale(shift, at=at, tz=tz):
            raise stale_shift_error(shift, tz)
        return shift
    try:
        with session.begin_nested():
            return open_shift(
                session, actor=actor, terminal=terminal, opening_float=Money.zero(), at=at
            )
    except (IntegrityError, Conflict):
        # The same cashier's other request opened it a moment ago (one open shift per cashier):
        # seen as the unique key refusing our insert, or as open_shift finding it committed.
        shift = current_shift(session, actor.user_id)
        if shift is None:
            raise
        if is_stale(shift, at=at, tz=tz):
            raise stale_shift_error(shift, tz) from None
        return shift


def count_cash(counts: dict[str, int]) -> Money:
    """The value of a blind count {"100.00": 3, "0.50": 2}, refusing unknown notes."""
    total = Money.zero()
    for key, number in counts.items():
        try:
            denomination = Money.parse(key)
        except MoneyError:
            raise ValidationError(f"面额 {key!r} 无效") from None
        if str(denomination) not in DENOMINATIONS:
            raise ValidationError(f"面额 {key} 不在 {', '.join(DENOMINATIONS)} 中")
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= 100_000:
            raise ValidationError(f"面额 {key} 的张数 {number!r} 无效")
        total = total + denomination * number
    return total


@dataclass(frozen=True)
class ClosedShift:
    shift: Shift
    report: PrintJob  # the Z report, queued for printing


def close_shift(
    session: Session,
    shift: Shift,
    *,
    counts: dict[str, int],
    reason: str,
    at: datetime,
    actor: Actor,
    settings: Settings,
) -> ClosedShift:
    """Close with a blind count: the variance is recorded (with a reason when not zero), the
    numbered Z report is frozen and queued for printing. Refused while the shift has held
    sales."""
    if shift.status != "open":
        raise Conflict(f"班次 {shift.id} 已交班")
    held = session.scalar(select(func.count(HeldSale.id)).where(HeldSale.shift_id == shift.id))
    if held:
        raise Conflict(f"还有 {held} 笔挂单未处理：请先取回结账或删除挂单再交班")
    counted = count_cash(counts)
    totals = shift_totals(session, shift)
    variance = counted - totals.expected_cash
    reason = reason.strip()
    if variance and not reason:
        raise ValidationError(f"现金差异 {variance.format()}：请填写差异原因")
    shift.status = "closed"
    shift.closed_at = at
    shift.counted_cash_fen = counted.fen
    shift.expected_cash_fen = totals.expected_cash.fen
    shift.variance_fen = variance.fen
    shift.variance_reason = reason
    shift.cash_count = {k: v for k, v in counts.items() if v}
    last = session.scalar(select(func.max(Shift.z_number))) or 0
    shift.z_number = last + 1
    shift.z_report = {
        **totals.to_json(),
        "z_number": shift.z_number,
        "terminal": shift.terminal,
        "cashier": shift.cashier_name,
        "closed_by": actor.name,
        "opened_at": shift.opened_at.isoformat(),
        "closed_at": at.isoformat(),
        "business_date": business_date(shift, settings.tz).isoformat(),
        "counted_cash": str(counted),
        "variance": str(variance),
        "reason": reason,
    }
    session.flush()
    report = queue_shift_report(session, shift, settings=settings, at=at, actor=actor)
    return ClosedShift(shift, report)


UNCOUNTED = "未清点"


def close_uncounted(
    session: Session,
    shift: Shift,
    *,
    reason: str,
    at: datetime,
    actor: Actor,
    settings: Settings,
) -> ClosedShift:
    """A supervisor closes a stale shift without a count (未清点): its Z report is numbered and
    frozen like any other, with the expected cash and no counted cash, marked 未清点 with the
    reason. Its held sales (carts, no money) are discarded. Only for a shift of an earlier
    business day: today's shift is counted."""
    if shift.status != "open":
        raise Conflict(f"班次 {shift.id} 已交班")
    if not is_stale(shift, at=at, tz=settings.tz):
        raise Conflict(f"班次 {shift.id} 是今天的班次：请收银员交班点钞，不能按“{UNCOUNTED}”关闭")
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(f"按“{UNCOUNTED}”关闭班次必须填写原因")
    held = list(session.scalars(select(HeldSale).where(HeldSale.shift_id == shift.id)))
    for cart in held:
        session.delete(cart)
    totals = shift_totals(session, shift)
    shift.status = "closed"
    shift.closed_at = at
    shift.counted_cash_fen = None
    shift.expected_cash_fen = totals.expected_cash.fen
    shift.variance_fen = None
    shift.variance_reason = f"{UNCOUNTED}：{reason}"
    shift.cash_count = None
    last = session.scalar(select(func.max(Shift.z_number))) or 0
    shift.z_number = last + 1
    shift.z_report = {
        **totals.to_json(),
        "z_number": shift.z_number,
        "terminal": shift.terminal,
        "cashier": shift.cashier_name,
        "closed_by": actor.name,
        "opened_at": shift.opened_at.isoformat(),
        "closed_at": at.isoformat(),
        "business_date": business_date(shift, settings.tz).isoformat(),
        "counted_cash": UNCOUNTED,
        "variance": UNCOUNTED,
        "uncounted": 1,
        "held_discarded": len(held),
        "reason": shift.variance_reason,
    }
    session.flush()
    report = queue_shift_report(session, shift, settings=settings, at=at, actor=actor)
    return ClosedShift(shift, report)


def is_uncounted(shift: Shift) -> bool:
    """A shift closed without a cash count (未清点)."""
    return bool(shift.z_report and shift.z_report.get("uncounted"))
