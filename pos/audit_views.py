"""The admin's page of the audit log (blueprint `audit`, /office/audit): search by kind, actor,
days and subject, newest first, a page at a time. Read-only: the page has no form that writes,
and the log's table refuses UPDATE and DELETE in the database itself."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from core.auth import Role
from core.errors import DomainError
from core.web import db_session, roles_required, settings
from pos.services import audit_log as log

bp = Blueprint("audit", __name__, url_prefix="/office/audit", template_folder="templates")

NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("审计日志", "audit.audit_log", (Role.ADMIN.value,)),
]

PAGE_SIZE = 50


@bp.get("")
@roles_required(Role.ADMIN)
def audit_log() -> tuple[str, int]:
    """`?kind=&actor=&since=&until=&subject=&page=`; a bad filter is named, with status 400."""
    args = {k: request.args.get(k, "") for k in ("kind", "actor", "since", "until", "subject")}
    number = request.args.get("page", "1")
    tz = settings().tz
    error = ""
    page = None
    try:
        where = log.AuditFilter.parse(**args)
        page = log.page(
            db_session(),
            where,
            tz=tz,
            number=int(number) if number.isdigit() else 1,
            size=PAGE_SIZE,
        )
    except DomainError as exc:
        error = exc.message
    return render_template(
        "pos/audit.html",
        args=args,
        page=page,
        error=error,
        kinds=log.KINDS,
        kind_labels=log.KIND_LABELS,
        outcome_labels=log.OUTCOME_LABELS,
        detail_text=log.detail_text,
    ), (400 if error else 200)
