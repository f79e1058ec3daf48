"""Held sales (挂单): a cart put aside at a terminal to serve the next customer, resumed (or
discarded) later in the same shift. A shift cannot close while it still holds any."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.auth import Actor
from core.errors import NotFound, ValidationError
from pos.models import HeldPayload, HeldSale, Shift
from pos.services.shifts import require_open_shift, shift_for_work


@dataclass(frozen=True)
class HeldLine:
    barcode: str
    qty: str | int | None  # as the terminal sent it; None: 1, or what a scale label carries


@dataclass(frozen=True)
class HeldCart:
    """A held sale as the terminal gets it back."""

    id: int
    label: str
    held_at: datetime
    card_no: str | None
    lines: tuple[HeldLine, ...]

    @classmethod
    def of(cls, row: HeldSale) -> HeldCart:
        payload = row.payload
        return cls(
            id=row.id,
            label=row.label,
            held_at=row.held_at,
            card_no=payload.get("card_no"),
            lines=tuple(
                HeldLine(barcode=line["barcode"], qty=line.get("qty"))
                for line in payload.get("lines", [])
            ),
        )


def hold_sale(
    session: Session,
    lines: Sequence[HeldLine],
    *,
    card_no: str | None,
    label: str,
    at: datetime,
    actor: Actor,
    terminal: str,
    tz: tzinfo,
) -> HeldCart:
    """Put a cart aside in the acting cashier's shift (opened with a zero float if need be)."""
    if not lines:
        raise ValidationError("空的购物清单不需要挂单")
    shift = shift_for_work(session, actor=actor, terminal=terminal, at=at, tz=tz)
    held = HeldSale(
        shift_id=shift.id,
        terminal=shift.terminal,
        held_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
        label=label.strip()[:64],
        payload=HeldPayload(
            card_no=card_no,
            lines=[{"barcode": line.barcode, "qty": line.qty} for line in lines],
        ),
    )
    session.add(held)
    session.flush()
    return HeldCart.of(held)


def held_sales(session: Session, shift: Shift) -> list[HeldCart]:
    """The held sales of a shift, oldest first."""
    rows = session.scalars(
        select(HeldSale).where(HeldSale.shift_id == shift.id).order_by(HeldSale.id)
    )
    return [HeldCart.of(row) for row in rows]


def count_held(session: Session, shift: Shift) -> int:
    """How many sales a shift still holds."""
    return session.scalar(select(func.count(HeldSale.id)).where(HeldSale.shift_id == shift.id)) or 0


def take_held(session: Session, cashier_id: int, held_id: int) -> HeldCart:
    """Resume (or discard) a held sale of the cashier's open shift: the cart, and the row is
    gone. NotFound without an open shift, or for a held sale of another shift."""
    shift = require_open_shift(session, cashier_id)
    held = session.get(HeldSale, held_id)
    if held is None or held.shift_id != shift.id:
        raise NotFound(f"未找到挂单 {held_id}")
    cart = HeldCart.of(held)
    session.delete(held)
    session.flush()
    return cart
