"""Shifts (交接班) and held sales (挂单): open with a float, X report at any time, close with a
blind count by denomination into a numbered, immutable Z report."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth import Actor
from core.errors import Conflict, NotFound, ValidationError
from core.money import Money, MoneyError
from pos.models import HeldSale, Refund, Sale, Shift

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
    return session.scalar(
        select(Shift).where(Shift.cashier_id == cashier_id, Shift.status == "open")
    )


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


@dataclass(frozen=True)
class ShiftTotals:
    sales_count: int
    list_total: Money
    discount_total: Money
    total: Money
    card_total: Money
    cash_total: Money  # cash kept: tendered minus change
    refunds_count: int
    voids_count: int
    refunds_total: Money
    card_refunds: Money
    cash_refunds: Money
    clothing_items: int
    opening_float: Money
    expected_cash: Money

    def to_json(self) -> dict[str, Any]:
        # not asdict(): it would turn each Money (a dataclass) into {"fen": n}
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: (str(v) if isinstance(v, Money) else v) for k, v in values.items()}


def shift_totals(session: Session, shift: Shift) -> ShiftTotals:
    """The X report: what this shift took so far, and the cash the drawer should hold."""
    row = session.execute(
        select(
            func.count(Sale.id),
            func.coalesce(func.sum(Sale.list_total_fen), 0),
            func.coalesce(func.sum(Sale.discount_total_fen), 0),
            func.coalesce(func.sum(Sale.total_fen), 0),
            func.coalesce(func.sum(Sale.paid_card_fen), 0),
            func.coalesce(func.sum(Sale.paid_cash_fen - Sale.change_fen), 0),
            func.coalesce(func.sum(Sale.clothing_items), 0),
        ).where(Sale.shift_id == shift.id)
    ).one()
    refunds = session.execute(
        select(
            func.count(Refund.id).filter(Refund.kind == "refund"),
            func.count(Refund.id).filter(Refund.kind == "void"),
            func.coalesce(func.sum(Refund.card_fen), 0),
            func.coalesce(func.sum(Refund.cash_fen), 0),
            func.coalesce(func.sum(Refund.clothing_items), 0),
        ).where(Refund.shift_id == shift.id)
    ).one()
    cash_in = Money(int(row[5]))
    cash_out = Money(int(refunds[3]))
    return ShiftTotals(
        sales_count=int(row[0]),
        list_total=Money(int(row[1])),
        discount_total=Money(int(row[2])),
        total=Money(int(row[3])),
        card_total=Money(int(row[4])),
        cash_total=cash_in,
        refunds_count=int(refunds[0]),
        voids_count=int(refunds[1]),
        refunds_total=Money(int(refunds[2]) + int(refunds[3])),
        card_refunds=Money(int(refunds[2])),
        cash_refunds=cash_out,
        clothing_items=int(row[6]) - int(refunds[4]),
        opening_float=shift.opening_float,
        expected_cash=shift.opening_float + cash_in - cash_out,
    )


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


def close_shift(
    session: Session,
    shift: Shift,
    *,
    counts: dict[str, int],
    reason: str,
    at: datetime,
    actor: Actor,
) -> Shift:
    """Close with a blind count: the variance is recorded (with a reason when not zero) and the
    numbered Z report is frozen. Refused while the shift has held sales."""
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
        "counted_cash": str(counted),
        "variance": str(variance),
        "reason": reason,
    }
    session.flush()
    return shift


# --- held sales -------------------------------------------------------------------------------


def hold_sale(
    session: Session,
    shift: Shift,
    payload: dict[str, Any],
    *,
    label: str,
    at: datetime,
    actor: Actor,
) -> HeldSale:
    if not payload.get("lines"):
        raise ValidationError("空的购物清单不需要挂单")
    held = HeldSale(
        shift_id=shift.id,
        terminal=shift.terminal,
        held_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
        label=label.strip()[:64],
        payload=payload,
    )
    session.add(held)
    session.flush()
    return held


def held_sales(session: Session, shift: Shift) -> list[HeldSale]:
    return list(
        session.scalars(select(HeldSale).where(HeldSale.shift_id == shift.id).order_by(HeldSale.id))
    )


def take_held(session: Session, shift: Shift, held_id: int) -> dict[str, Any]:
    """Resume (or discard) a held sale of this shift: its payload, and the row is gone."""
    held = session.get(HeldSale, held_id)
    if held is None or held.shift_id != shift.id:
        raise NotFound(f"未找到挂单 {held_id}")
    payload = dict(held.payload)
    session.delete(held)
    session.flush()
    return payload
