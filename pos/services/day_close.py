"""The store's day close (日结): every shift opened that store day, closed; the day's takings by
tender (card, cash, QR) and by terminal, refunds and clothing given, from the shifts' own
figures (the Z reports add up to the day). Closing records a `day_close` audit event (the
record that the day was closed, by whom, with which totals and the ledger's seal through that day,
`SEQ:HASH`, for `charity ledger verify --seal`) and queues the printed report;
closing a closed day again changes nothing and says so."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.services.seals import seal_through
from core import audit
from core.audit import AuditEvent
from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, ValidationError
from core.money import Money
from core.periods import local_date
from pos.models import Shift
from pos.printing.document import Slip
from pos.printing.models import PrintJob
from pos.printing.services import jobs
from pos.services.receipts import staff_name, staff_names
from pos.services.totals import ShiftTotals, shift_totals


@dataclass
class Takings:
    """What some shifts took: sales and their tenders, refunds, clothing given."""

    shifts: int = 0
    sales_count: int = 0
    total: Money = field(default_factory=Money.zero)
    card: Money = field(default_factory=Money.zero)
    cash: Money = field(default_factory=Money.zero)  # kept: tendered minus change
    qr: Money = field(default_factory=Money.zero)
    refunds_count: int = 0
    refunds_total: Money = field(default_factory=Money.zero)
    cash_refunds: Money = field(default_factory=Money.zero)
    clothing_items: int = 0
    variance: Money = field(default_factory=Money.zero)

    def add(self, figures: ShiftTotals, shift: Shift) -> None:
        self.shifts += 1
        self.sales_count += figures.sales_count
        self.total += figures.total
        self.card += figures.card_total
        self.cash += figures.cash_total
        self.qr += figures.qr_total
        self.refunds_count += figures.refunds_count + figures.voids_count
        self.refunds_total += figures.refunds_total
        self.cash_refunds += figures.cash_refunds
        self.clothing_items += figures.clothing_items
        self.variance += Money(shift.variance_fen or 0)


@dataclass
class DayReport:
    day: date
    shifts: list[Shift]
    open_shifts: list[Shift]
    by_terminal: dict[str, Takings]
    all: Takings
    closed_at: datetime | None = None
    closed_by: str = ""
    names: dict[int, str] = field(default_factory=dict)  # cashiers by name, not login
    seal: str = ""  # the ledger's seal through the day, taken at the close

    def cashier(self, shift: Shift) -> str:
        return self.names.get(shift.cashier_id, shift.cashier_name)

    @property
    def closable(self) -> bool:
        return bool(self.shifts) and not self.open_shifts


def _day_shifts(session: Session, day: date, tz: tzinfo) -> list[Shift]:
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    query = (
        select(Shift)
        .where(Shift.opened_at >= start, Shift.opened_at < start + timedelta(days=1))
        .order_by(Shift.terminal, Shift.id)
    )
    return list(session.scalars(query))


def _closing(session: Session, day: date) -> AuditEvent | None:
    return session.scalar(
        select(AuditEvent)
        .where(AuditEvent.kind == "day_close", AuditEvent.subject == day.isoformat())
        .order_by(AuditEvent.id)
        .limit(1)
    )


def day_report(session: Session, day: date, *, tz: tzinfo) -> DayReport:
    """The figures of one store day (shifts opened that day, in store time)."""
    shifts = _day_shifts(session, day, tz)
    by_terminal: dict[str, Takings] = {}
    everything = Takings()
    for shift in shifts:
        figures = shift_totals(session, shift)
        by_terminal.setdefault(shift.terminal, Takings()).add(figures, shift)
        everything.add(figures, shift)
    closing = _closing(session, day)
    return DayReport(
        day=day,
        shifts=shifts,
        open_shifts=[s for s in shifts if s.status == "open"],
        by_terminal=by_terminal,
        all=everything,
        closed_at=closing.at if closing else None,
        closed_by=staff_name(session, closing.actor_id, closing.actor_name) if closing else "",
        names=staff_names(session, [s.cashier_id for s in shifts]),
        seal=str(json.loads(closing.detail).get("seal", "")) if closing else "",
    )


def _rows(report: DayReport) -> list[tuple[str, str]]:
    t = report.all
    rows = [
        ("班次", f"{t.shifts} 个"),
        ("销售笔数", str(t.sales_count)),
        ("实收合计", t.total.format()),
        ("卡支付", t.card.format()),
        ("现金收入", t.cash.format()),
        ("扫码收款", t.qr.format()),
        ("退货", f"{t.refunds_count} 笔 {t.refunds_total.format()}"),
        ("现金退款", t.cash_refunds.format()),
        ("衣物领取", f"{t.clothing_items} 件"),
        ("点钞差额", t.variance.format()),
    ]
    if report.seal:
        rows.append(("账本封印", report.seal))
    for terminal, takings in sorted(report.by_terminal.items()):
        rows.append((f"收银台 {terminal}", f"{takings.sales_count} 笔 {takings.total.format()}"))
        rows.append(("  卡/现金/扫码", f"{takings.card} / {takings.cash} / {takings.qr}"))
    return rows


def close_day(
    session: Session, day: date, *, settings: Settings, at: datetime, actor: Actor
) -> tuple[DayReport, PrintJob | None, bool]:
    """Close the store day `day`: (report, printed report queued, closed now). Refused while a
    shift of the day is open (naming it), for a day with no shift, or for a day not yet begun; a
    day closed before answers its report and changes nothing (flushes only)."""
    tz = settings.tz
    if day > local_date(at, tz):
        raise ValidationError(f"{day.isoformat()} 还没到，不能日结")
    report = day_report(session, day, tz=tz)
    if report.closed_at is not None:
        return report, None, False
    if not report.shifts:
        raise ValidationError(f"{day.isoformat()} 没有班次，无需日结")
    if report.open_shifts:
        names = "、".join(f"收银台 {s.terminal} {report.cashier(s)}" for s in report.open_shifts)
        raise Conflict(f"{day.isoformat()} 还有未交班的班次：{names}；全部交班后才能日结")
    t = report.all
    report.seal = str(seal_through(session, day))
    audit.record(
        session,
        "day_close",
        actor=actor,
        at=at,
        subject=day.isoformat(),
        detail={
            "shifts": t.shifts,
            "sales": t.sales_count,
            "total": str(t.total),
            "card": str(t.card),
            "cash": str(t.cash),
            "qr": str(t.qr),
            "refunds": str(t.refunds_total),
            "clothing": t.clothing_items,
            "seal": report.seal,
        },
    )
    report.closed_at = at
    report.closed_by = staff_name(session, actor.user_id, actor.name)
    document = Slip(
        title=f"日结报表 {day.isoformat()}",
        rows=tuple(_rows(report)),
        store_name=settings.store.name,
        at=at,
        footer=f"日结人：{report.closed_by}",
    )
    job = jobs.enqueue(session, document, reference=f"DAY{day:%Y%m%d}", at=at, actor=actor)
    return report, job, True
