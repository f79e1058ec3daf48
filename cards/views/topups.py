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
from core.web import current_actor, data_keys, db_session, now, roles_required, settings


@bp.route("/topups", methods=["GET", "POST"])
@roles_required(*BUREAU)
def topups() -> str | Response:
    """Top-up runs: preview a month, prepare (and post, with single approval), history."""
    config = settings()
    session = db_session()
    shown = None
    error = None
    month_text = read_form(TopUpForm, request.values).month or str(Month.of(now(), config.tz))
    if request.method == "POST":
        try:
            month = topup_preview.parse_month(month_text, at=now(), settings=config)
            outcome = topup.run_topup(
                session, config, month, at=now(), actor=current_actor(), keys=data_keys()
            )
            if outcome.run is None:
                raise ValidationError(f"{month} 没有尚未充值的符合条件账户")
            return done(
                f"批次 #{outcome.run.id} 已入账"
                if outcome.posted
                else f"批次 #{outcome.run.id} 已准备，等待另一位民政局工作人员审批",
                url_for("cards.topups"),
            )
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
        topup.approve_run(
            db_session(),
            settings(),
            run_id,
            at=now(),
            actor=current_actor(),
            keys=data_keys(),
        )
    except DomainError as exc:
        return refused(exc, url_for("cards.topups"))
    return done(f"批次 #{run_id} 已审批入账", url_for("cards.topups"))


@bp.post("/topups/<int:run_id>/cancel")
@roles_required(*BUREAU)
def topup_cancel(run_id: int) -> Response:
    try:
        topup.cancel_run(db_session(), run_id, at=now(), actor=current_actor())
    except DomainError as exc:
        return refused(exc, url_for("cards.topups"))
    return done(f"批次 #{run_id} 已取消", url_for("cards.topups"))
