"""Back-office pages of the counter (supervisor): today's sales with their receipts, refunds,
and shifts with their X and Z reports, each shown in the printer's own layout."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from core.auth import Role
from core.errors import NotFound, ValidationError
from core.web import app_state, current_actor, db_session, now, roles_required, settings
from pos import checkout, receipts
from pos.models import Sale, Shift
from pos.printing import jobs
from pos.printing.preview import receipt_html
from pos.shifts import shift_totals

bp = Blueprint("office", __name__, url_prefix="/office", template_folder="templates")

NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("销售记录", "office.sales", (Role.SUPERVISOR.value,)),
    ("班次报表", "office.shifts", (Role.SUPERVISOR.value,)),
]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = settings().tz
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    return start, start + timedelta(days=1)


@bp.get("/sales")
@roles_required(Role.SUPERVISOR)
def sales() -> str:
    text = request.args.get("day", "")
    try:
        day = date.fromisoformat(text) if text else now().astimezone(settings().tz).date()
    except ValueError:
        raise ValidationError(f"日期格式应为 YYYY-MM-DD，实际为 {text!r}") from None
    start, end = _day_bounds(day)
    rows = (
        db_session()
        .scalars(select(Sale).where(Sale.at >= start, Sale.at < end).order_by(Sale.id.desc()))
        .all()
    )
    return render_template("pos/sales.html", sales=rows, day=day)


@bp.get("/sales/<sale_no>")
@roles_required(Role.SUPERVISOR)
def sale(sale_no: str) -> str:
    session = db_session()
    record = checkout.get_sale(session, sale_no)
    document = receipts.sale_receipt(session, record, settings=settings(), at=now())
    return render_template(
        "pos/sale.html",
        sale=record,
        preview=receipt_html(document, settings()),
        refunds=[
            (r, receipt_html(receipts.refund_slip(session, r, settings=settings()), settings()))
            for r in record.refunds
        ],
    )


@bp.post("/sales/<sale_no>/reprint")
@roles_required(Role.SUPERVISOR)
def reprint(sale_no: str) -> Response:
    session = db_session()
    record = checkout.get_sale(session, sale_no)
    job = jobs.reprint(session, record.sale_no, at=now(), actor=current_actor(), kind="receipt")
    session.commit()
    jobs.deliver(app_state().db, job.id, settings(), at=now())
    return redirect(url_for("printing.job", job_id=job.id))


@bp.get("/shifts")
@roles_required(Role.SUPERVISOR)
def shifts() -> str:
    rows = db_session().scalars(select(Shift).order_by(Shift.id.desc()).limit(200)).all()
    return render_template("pos/shifts.html", shifts=rows)


@bp.get("/shifts/<int:shift_id>")
@roles_required(Role.SUPERVISOR)
def shift(shift_id: int) -> Any:
    session = db_session()
    record = session.get(Shift, shift_id)
    if record is None:
        raise NotFound(f"未找到班次 {shift_id}")
    document = receipts.shift_report(session, record, settings=settings(), at=now())
    return render_template(
        "pos/shift.html",
        shift=record,
        totals=shift_totals(session, record),
        preview=receipt_html(document, settings()),
    )
