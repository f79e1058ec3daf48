"""The counter's pages: staff sign-in and sign-out, the home by role (the cashier terminal or the
back-office home with its figures), and the supervisor's back office (`office_bp`): the day's
sales with their receipts and refunds, and shifts with their X and Z reports, each shown in the
printer's own layout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from cards import hooks as cards_hooks
from core.auth import Role, StaffUser
from core.errors import DomainError, Unauthorized, ValidationError
from core.forms import read_form
from core.sessions import open_terminal
from core.signin import sign_in_page, sign_out_page
from core.web import (
    SESSION_ID_KEY,
    app_state,
    current_actor,
    db_session,
    now,
    page_session,
    roles_required,
    settings,
    status_for,
)
from pos.printing.preview import receipt_html
from pos.printing.services import jobs
from pos.schemas import UncountedCloseForm
from pos.services import dashboard, day_close, receipts, sales, shifts, totals

bp = Blueprint(
    "pos",
    __name__,
    template_folder="templates",
    static_folder="static/pos",
    static_url_path="/static/pos",
)
office_bp = Blueprint("office", __name__, url_prefix="/office", template_folder="templates")

NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("收银台", "pos.terminal", (Role.CASHIER.value,)),
    ("销售记录", "office.sales", (Role.SUPERVISOR.value,)),
    ("班次报表", "office.shifts", (Role.SUPERVISOR.value,)),
    ("日结", "office.day", (Role.SUPERVISOR.value,)),
]


F = TypeVar("F", bound=Callable[..., Any])


def _login_required(view: F) -> F:
    """flask_login's `login_required` (untyped), typed: signed in, any role; else to sign-in."""
    return cast(F, login_required(view))


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


def _home_for(user: StaffUser) -> str:
    if user.role == Role.CASHIER and "pos.terminal" in current_app.view_functions:
        return url_for("pos.terminal")
    return url_for("pos.office")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


def _signed_in() -> StaffUser:
    user: StaffUser = current_user._get_current_object()
    return user


# --- sign-in and the home ---------------------------------------------------------------------


@bp.route("/", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Staff sign-in; once signed in, the home of the user's role. An unknown name and a wrong
    password get the same answer (`core.auth.authenticate`); every attempt is logged."""
    if current_user.is_authenticated:
        return redirect(_home_for(_signed_in()))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = sign_in_page(form.username.data, form.password.data)
        except Unauthorized as exc:
            error = exc.message
            status = status_for(exc)
        else:
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
    return render_template("pos/login.html", form=form, error=error), status


@bp.post("/logout")
@_login_required
def logout() -> Response:
    """Sign out: the server-side session ends (a copy of the cookie no longer works) and so does
    the terminal's bearer token it holds."""
    sign_out_page()
    return redirect(url_for("pos.login"))


@bp.get("/office")
@_login_required
def office() -> str:
    """The back-office home: the figures this role watches, and the menu of what it may do."""
    figures = dashboard.figures(db_session(), _signed_in(), at=now(), settings=settings())
    return render_template("pos/office.html", figures=figures)


@bp.get("/terminal")
@roles_required(Role.CASHIER)
def terminal() -> Response:
    """The cashier terminal. It works through the JSON API with the one bearer token of this
    sign-in (the same on every reload; it ends with the session, whose idle timeout becomes the
    terminal's shorter one)."""
    row = page_session()
    sid = cookie_session.get(SESSION_ID_KEY)
    if row is None or not isinstance(sid, str):
        raise Unauthorized("登录已失效，请重新登录")
    session = db_session()
    token = open_terminal(
        session,
        row,
        sid,
        at=now(),
        idle=timedelta(minutes=settings().security.terminal_idle_minutes),
        secret=_secret(),
    )
    session.commit()
    store = settings().store
    page = render_template(
        "pos/terminal.html",
        api_token=token,
        terminal_no=store.terminal,
        public_sales=store.public_sales,
        receiptless_limit=str(settings().counter.receiptless_cash_limit),
        timezone=store.timezone,
    )
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"  # the page holds a live token: never cached
    return response


def _secret() -> bytes:
    key = current_app.secret_key
    return key.encode("utf-8") if isinstance(key, str) else bytes(key or b"")


# --- the back office --------------------------------------------------------------------------


def _day(text: str) -> date:
    """A day of the office's pages: YYYY-MM-DD, or today in store time."""
    try:
        return date.fromisoformat(text) if text else now().astimezone(settings().tz).date()
    except ValueError:
        raise ValidationError(f"日期格式应为 YYYY-MM-DD，实际为 {text!r}") from None


@office_bp.get("/sales", endpoint="sales")
@roles_required(Role.SUPERVISOR)
def sale_list() -> str:
    tz = settings().tz
    day = _day(request.args.get("day", ""))
    session = db_session()
    rows = sales.sales_of_day(session, day, tz=tz)
    names = receipts.staff_names(session, [s.actor_id for s in rows])
    return render_template("pos/sales.html", sales=rows, day=day, names=names)


@office_bp.get("/sales/<sale_no>")
@roles_required(Role.SUPERVISOR)
def sale(sale_no: str) -> str:
    session = db_session()
    cfg = settings()
    record = sales.get_sale(session, sale_no)
    allowance = cards_hooks.current().clothing_allowance
    document = receipts.sale_receipt(session, record, settings=cfg, at=now(), allowance=allowance)
    return render_template(
        "pos/sale.html",
        sale=record,
        names=receipts.staff_names(
            session, [record.actor_id, *(r.actor_id for r in record.refunds)]
        ),
        preview=receipt_html(document, cfg),
        refunds=[
            (r, receipt_html(receipts.refund_slip(session, r, settings=cfg), cfg))
            for r in record.refunds
        ],
    )


@office_bp.post("/sales/<sale_no>/reprint")
@roles_required(Role.SUPERVISOR)
def reprint(sale_no: str) -> Response:
    session = db_session()
    job = receipts.reprint_sale_receipt(session, sale_no, at=now(), actor=current_actor())
    session.commit()
    jobs.deliver(app_state().db, job.id, settings(), at=now())
    return redirect(url_for("printing.job", job_id=job.id))


@office_bp.get("/shifts", endpoint="shifts")
@roles_required(Role.SUPERVISOR)
def shift_list() -> str:
    """The latest shifts; open ones of an earlier business day first, each with its close as
    not counted (未清点)."""
    session = db_session()
    stale = shifts.stale_shifts(session, at=now(), tz=settings().tz)
    rows = shifts.recent_shifts(session)
    names = receipts.staff_names(session, [s.cashier_id for s in [*rows, *stale]])
    return render_template(
        "pos/shifts.html",
        shifts=rows,
        names=names,
        stale=stale,
        stale_ids={s.id for s in stale},
        uncounted=shifts.UNCOUNTED,
    )


@office_bp.post("/shifts/<int:shift_id>/close-uncounted")
@roles_required(Role.SUPERVISOR)
def shift_close_uncounted(shift_id: int) -> Response:
    """Close a stale shift without a count; its Z report says 未清点."""
    session = db_session()
    try:
        data = read_form(UncountedCloseForm, request.form)
        closed = shifts.close_uncounted(
            session,
            shifts.get_shift(session, shift_id),
            reason=data.reason,
            at=now(),
            actor=current_actor(),
            settings=settings(),
        )
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("office.shifts"))
    session.commit()
    jobs.deliver(app_state().db, closed.report.id, settings(), at=now())
    flash(f"班次 {shift_id} 已按“{shifts.UNCOUNTED}”关闭（Z{closed.shift.z_number:05d}）", "ok")
    return redirect(url_for("office.shift", shift_id=shift_id))


@office_bp.get("/shifts/<int:shift_id>")
@roles_required(Role.SUPERVISOR)
def shift(shift_id: int) -> str:
    session = db_session()
    record = shifts.get_shift(session, shift_id)
    document = receipts.shift_report(session, record, settings=settings(), at=now())
    return render_template(
        "pos/shift.html",
        shift=record,
        names=receipts.staff_names(session, [record.cashier_id]),
        totals=totals.shift_totals(session, record),
        preview=receipt_html(document, settings()),
    )


@office_bp.get("/day", endpoint="day")
@roles_required(Role.SUPERVISOR)
def day_page() -> str:
    """The store day close (日结): the day's shifts, its takings by tender and terminal."""
    day = _day(request.args.get("day", ""))
    report = day_close.day_report(db_session(), day, tz=settings().tz)
    return render_template("pos/day.html", report=report, day=day)


@office_bp.post("/day/close")
@roles_required(Role.SUPERVISOR)
def day_close_action() -> ResponseReturnValue:
    session = db_session()
    day = _day(request.form.get("day", ""))
    try:
        _, job, closed = day_close.close_day(
            session, day, settings=settings(), at=now(), actor=current_actor()
        )
    except DomainError as exc:  # a shift still open: say which, on the page, nothing written
        session.rollback()
        report = day_close.day_report(session, day, tz=settings().tz)
        page = render_template("pos/day.html", report=report, day=day, error=exc.message)
        return page, status_for(exc)
    session.commit()
    if job is not None:
        jobs.deliver(app_state().db, job.id, settings(), at=now())
    flash(f"{day.isoformat()} 已日结" if closed else f"{day.isoformat()} 早已日结，未重复")
    return redirect(url_for("office.day", day=day.isoformat()))
