"""Shifts (交接班): open with a float, X report at any time, close with a blind count by
denomination into a numbered, immutable Z report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cards.services.seals import current_seal
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, NotFound, ValidationError
from core.money import Money, MoneyError
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


def shift_for_work(session: Session, *, actor: Actor, terminal: str, at: datetime) -> Shift:
    """The acting user's open shift, or a new one with a zero float (API sales need no explicit
    shift, CONTRACT)."""
    if actor.user_id is None:
        raise ValidationError("收银需要员工账号")
    shift = current_shift(session, actor.user_id)
    if shift is not None:
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
    shift.z_seal = str(current_seal(session))
    shift.z_report = {
        **totals.to_json(),
        "z_number": shift.z_number,
        "terminal": shift.terminal,
        "cashier": shift.cashier_name,
        "closed_by": actor.name,
        "opened_at": shift.opened_at.isoformat(),
        "closed_at": at.isoformat(),
        "counted_cash": str(counted),
        "variance": str(variance),
        "reason": reason,
        "seal": shift.z_seal,
    }
    session.flush()
    report = queue_shift_report(session, shift, settings=settings, at=at, actor=actor)
    return ClosedShift(shift, report)
