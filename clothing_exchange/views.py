"""Back-office pages for clothing (supervisor; blueprint `bp`): stock by kind and size, 衣暖人心
intake (a file or one batch typed in), give-away events, reports. Thin: forms are read through
`schemas`, each write is one service call, the view commits once."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from clothing_exchange.schemas import EventForm, IntakeForm, StockAnswer
from clothing_exchange.services import report_export, reports
from clothing_exchange.services.allowance import quarter_of
from clothing_exchange.services.events import handouts_by_card, recent_events, record_event
from clothing_exchange.services.intake import plan_intake, record_intake
from clothing_exchange.services.intake_file import (
    IntakeFile,
    IntakeFileError,
    parse_intake,
    parse_table,
)
from clothing_exchange.services.stock import clothing_stock
from core import audit
from core.auth import Role
from core.charts import Series, bar_chart
from core.errors import DomainError, NotFound
from core.export import csv_bytes, xlsx_bytes
from core.export.web import download
from core.forms import read_form
from core.web import app_state, current_actor, db_session, now, roles_required, settings

bp = Blueprint(
    "clothing",
    __name__,
    url_prefix="/clothing",
    template_folder="templates",
    static_folder="static/clothing_exchange",
    static_url_path="/static",
)

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("爱心衣物", "clothing.stock", (Role.SUPERVISOR.value,)),
]

_SIZE_ORDER = ["XS", "S", "M", "L", "XL", "XXL", "XXXL", "均码"]


def _size_order(size: str) -> tuple[int, str]:
    if size in _SIZE_ORDER:
        return (_SIZE_ORDER.index(size), size)
    if size.startswith("童"):
        return (100 + int(size[1:]) if size[1:].isdigit() else 999, size)
    return (999, size)


@bp.get("/")
@roles_required(Role.SUPERVISOR)
def stock() -> ResponseReturnValue:
    """Clothing stock by kind and size."""
    answer = StockAnswer.of(clothing_stock(db_session(), settings()))
    sizes = sorted({item.size for item in answer.items}, key=_size_order)
    table: dict[str, dict[str, int]] = {}
    for item in answer.items:
        by_size = table.setdefault(item.kind, {})
        by_size[item.size] = by_size.get(item.size, 0) + item.stock
    return render_template(
        "clothing_exchange/stock.html",
        lines=answer.items,
        sizes=sizes,
        table=table,
        total=answer.total,
    )


@bp.route("/intake", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def intake() -> ResponseReturnValue:
    """Record intake: upload a file (preview, then record) or type in one batch."""
    page = "clothing_exchange/intake.html"
    if request.method != "POST":
        return render_template(page, plan=None, form=request.form)
    cfg = settings()
    session = db_session()
    form = read_form(IntakeForm, request.form)
    upload = request.files.get("file")
    parsed: IntakeFile
    try:
        if upload is not None and upload.filename:
            source = upload.filename
            parsed = parse_intake(upload.read(), filename=source, kinds=cfg.clothing.kinds)
        else:
            source = "录入"
            parsed = parse_table(form.table(), kinds=cfg.clothing.kinds)
    except IntakeFileError as exc:
        flash(str(exc), "error")
        return render_template(page, plan=None, form=request.form), 400
    plan = plan_intake(session, parsed)
    if plan.problems or not form.commit:
        return render_template(page, plan=plan, form=request.form), 400 if plan.problems else 200
    try:
        record_intake(session, parsed, at=now(), actor=current_actor(), settings=cfg, source=source)
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "error")
        return render_template(page, plan=plan, form=request.form), 400
    session.commit()
    if plan.new:
        flash(f"已入库 {len(plan.new)} 个批次，{plan.items} 件衣物进入库存", "success")
    else:
        flash("这些批次都已入库过，没有任何变化", "success")
    return redirect(url_for("clothing.intake"))


@bp.route("/events", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def events() -> ResponseReturnValue:
    """Give-away events: the list, and a form recording one (totals by kind, and optionally
    the items named people took, by card number)."""
    cfg = settings()
    session = db_session()
    status = 200
    if request.method == "POST":
        try:
            form = EventForm.from_page(request.form, kinds=cfg.clothing.kinds)
            record_event(
                session,
                event_date=form.event_date,
                place=form.place,
                totals=form.totals,
                handouts=handouts_by_card(session, form.handouts),
                note=form.note,
                at=now(),
                actor=current_actor(),
                settings=cfg,
            )
        except DomainError as exc:
            session.rollback()
            flash(exc.message, "error")
            status = 400
        else:
            session.commit()
            flash(f"已记录 {form.event_date:%Y-%m-%d} 的集中发放", "success")
            return redirect(url_for("clothing.events"))
    return render_template(
        "clothing_exchange/events.html",
        events=recent_events(session),
        kinds=cfg.clothing.kinds,
        events_count=cfg.clothing.events_count,
        form=request.form,
        today=now().astimezone(cfg.tz).date().isoformat(),
    ), status


@bp.get("/reports")
@roles_required(Role.SUPERVISOR)
def report_page() -> ResponseReturnValue:
    """Collected per month and point; given per quarter; who has not used this quarter's item."""
    cfg = settings()
    session = db_session()
    at = now()
    intake = reports.intake_by_month_and_point(session)
    given = reports.given_by_quarter(session)
    quarters, sorted_in, given_out = reports.in_and_out_by_quarter(intake, given)
    chart = bar_chart(
        "爱心衣物每季度入库与发放（件）",
        quarters,
        [Series("分拣入库", list(sorted_in)), Series("发放", list(given_out))],
    )
    return render_template(
        "clothing_exchange/reports.html",
        intake=intake,
        given=given,
        unused=reports.unused_allowance(session, cfg, at=at),
        quarter=quarter_of(at, cfg),
        chart=chart,
    )


@bp.get("/reports/<which>.<fmt>")
@roles_required(Role.SUPERVISOR)
def report_download(which: str, fmt: str) -> ResponseReturnValue:
    """One report as a printable Excel file or a CSV (UTF-8 with BOM, for Excel)."""
    if which not in report_export.WHICH or fmt not in ("xlsx", "csv"):
        raise NotFound("没有这个报表")
    cfg = settings()
    at = now()
    chosen = which
    session = db_session()
    if fmt == "xlsx":
        data = xlsx_bytes(report_export.report_file(chosen, session, cfg, at=at))
    else:
        table, _ = report_export.report_table(chosen, session, cfg, at=at)
        data = csv_bytes(table)
    session.rollback()
    if chosen == "unused":  # names of people: an export of personal data
        audit.record_now(
            app_state().db.engine,
            "export",
            actor=current_actor(),
            at=at,
            subject=f"clothing report {which}",
            detail={"format": fmt},
            address=request.remote_addr or "",
        )
    day = at.astimezone(cfg.tz).date().isoformat()
    return download(data, f"{report_export.TITLES[chosen]}-{day}.{fmt}")
