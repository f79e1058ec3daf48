"""The bureau's queue of manual adjustments waiting for a second person: approve (posted then)
or reject with a reason; the latest decisions below. The maker of an adjustment is refused by
the service (`cards.services.adjustments`), whatever the page shows."""

from __future__ import annotations

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from cards.schemas import RejectForm
from cards.services import adjustments
from cards.views.office import BUREAU, bp, done, form, refused
from core.errors import DomainError
from core.web import current_actor, db_session, now, roles_required, settings


def _queue() -> str:
    return url_for("cards.adjustments")


@bp.get("/adjustments", endpoint="adjustments")
@roles_required(*BUREAU)
def queue() -> str:
    session = db_session()
    config = settings().allowance
    return render_template(
        "cards/adjustments.html",
        pending=adjustments.pending_adjustments(session),
        decided=adjustments.recent_decisions(session),
        me=current_actor(),
        labels=adjustments.STATUS_LABELS,
        limit=config.adjustment_limit,
        two_person=config.approval == "two_person",
    )


@bp.post("/adjustments/<int:adjustment_id>/approve")
@roles_required(*BUREAU)
def adjustment_approve(adjustment_id: int) -> Response:
    try:
        adjustments.approve_adjustment(
            db_session(),
            adjustment_id,
            at=now(),
            tz=settings().tz,
            actor=current_actor(),
            address=request.remote_addr or "",
        )
    except DomainError as exc:
        return refused(exc, _queue())
    return done(f"调整 #{adjustment_id} 已审批入账", _queue())


@bp.post("/adjustments/<int:adjustment_id>/reject")
@roles_required(*BUREAU)
def adjustment_reject(adjustment_id: int) -> Response:
    try:
        data = form(RejectForm)
        adjustments.reject_adjustment(
            db_session(),
            adjustment_id,
            reason=data.reason,
            at=now(),
            actor=current_actor(),
            address=request.remote_addr or "",
        )
    except DomainError as exc:
        return refused(exc, _queue())
    return done(f"调整 #{adjustment_id} 已驳回", _queue())
