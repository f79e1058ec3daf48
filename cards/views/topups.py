"""The monthly top-up page: preview a month, prepare a run (posted at once with single
approval), approve or cancel a waiting run, the history of runs."""

from __future__ import annotations

from flask import render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from cards.models import TopUpRun
from cards.schemas import TopUpForm
from cards.services import topup, topup_preview
from cards.services.topup_preview import TopUpPreview
from cards.views.office import BUREAU, bp, done, refused
from core.errors import DomainError, ValidationError
from core.forms import read_form
from core.periods import Month, PeriodError
from core.signin import client_address
from core.web import current_actor, data_keys, db_session, now, roles_required, settings


@bp.route("/topups", methods=["GET", "POST"])
@roles_required(*BUREAU)
def topups() -> str | Response:
    """Top-up runs: preview a month, prepare (and post, with single approval), history."""
    config = settings()
    session = db_session()
    if request.method == "POST":  # approved runs whose month has now begun go first
        topup.post_due_runs(session, config, at=now(), actor=current_actor(), keys=data_keys())
    shown = None
    error = None
    month_text = read_form(TopUpForm, request.values).month or str(Month.of(now(), config.tz))
    if request.method == "POST":
        try:
            month = topup_preview.parse_month(month_text, at=now(), settings=config)
            outcome = topup.run_topup(
                session,
                config,
                month,
                at=now(),
                actor=current_actor(),
                keys=data_keys(),
                address=client_address(),
            )
            if outcome.run is None:
                raise ValidationError(f"{month} 没有尚未充值的符合条件账户")
            return done(_said(outcome.run), url_for("cards.topups"))
        except (DomainError, PeriodError) as exc:
            session.rollback()
            error = exc.message if isinstance(exc, DomainError) else str(exc)
    elif request.args.get("month"):
        try:
            shown = topup_preview.preview(
                session, config, topup_preview.parse_month(month_text, at=now(), settings=config)
            )
        except (DomainError, PeriodError) as exc:
            error = exc.message if isinstance(exc, DomainError) else str(exc)
    runs = session.scalars(select(TopUpRun).order_by(TopUpRun.id.desc()).limit(50)).all()
    return render_template(
        "cards/topups.html",
        runs=runs,
        previews={r.id: TopUpPreview.from_json(r.preview_json) for r in runs},
        shown=shown,
        month=month_text,
        error=error,
        approval=config.allowance.approval,
    )


@bp.post("/topups/<int:run_id>/approve")
@roles_required(*BUREAU)
def topup_approve(run_id: int) -> Response:
    try:
        run = topup.approve_run(
            db_session(),
            settings(),
            run_id,
            at=now(),
            actor=current_actor(),
            keys=data_keys(),
            address=client_address(),
        )
    except DomainError as exc:
        return refused(exc, url_for("cards.topups"))
    return done(_said(run), url_for("cards.topups"))


@bp.post("/topups/<int:run_id>/post")
@roles_required(*BUREAU)
def topup_post(run_id: int) -> Response:
    """Post an approved run whose month has begun (what `charity topup` of the month does)."""
    session = db_session()
    try:
        run = session.get(TopUpRun, run_id)
        if run is None or run.status != "approved":
            raise ValidationError(f"批次 #{run_id} 不是已审批、等待入账的批次")
        topup.post_run(session, settings(), run, at=now(), actor=current_actor(), keys=data_keys())
    except DomainError as exc:
        return refused(exc, url_for("cards.topups"))
    return done(_said(run), url_for("cards.topups"))


def _said(run: TopUpRun) -> str:
    """What the page says after a run was prepared, approved or posted."""
    if run.status == "posted":
        left = topup.skipped(run)
        extra = f"；已不符合条件、未入账 {len(left)} 人：{'、'.join(left)}" if left else ""
        return f"批次 #{run.id} 已审批入账：{run.people} 人{extra}"
    if run.status == "approved":
        return f"批次 #{run.id} 已审批，{run.month} 月开始后（门店时间）入账"
    return f"批次 #{run.id} 已准备，等待另一位民政局工作人员审批"


@bp.post("/topups/<int:run_id>/cancel")
@roles_required(*BUREAU)
def topup_cancel(run_id: int) -> Response:
    try:
        topup.cancel_run(
            db_session(),
            settings(),
            run_id,
            at=now(),
            actor=current_actor(),
            address=client_address(),
        )
    except DomainError as exc:
        return refused(exc, url_for("cards.topups"))
    return done(f"批次 #{run_id} 已取消", url_for("cards.topups"))
