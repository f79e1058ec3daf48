"""Pages of the printing package: a print job's preview with a retry button, a retry-all button
and the printer state as JSON for the terminal. The pages use the jobs service; the service
knows nothing of them."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from core.auth import Role
from core.errors import NotFound
from core.web import app_state, db_session, now, passive, roles_required, settings
from pos.printing.models import PrintJob
from pos.printing.preview import receipt_html
from pos.printing.services import jobs

bp = Blueprint(
    "printing",
    __name__,
    template_folder="templates",
    static_folder="static/printing",
    static_url_path="/static",
    url_prefix="/printing",
)

STATUS_LABELS = {
    "printed": "已打印",
    "queued": "待打印",
    "failed": "打印失败",
    "off": "未启用打印机",
}


def _message(status: str) -> tuple[str, str]:
    if status == "printed":
        return "小票已打印", "ok"
    if status == "off":
        return "未启用打印机（printer.kind = none）", "warn"
    return "打印机暂不可用，小票已排队，恢复后自动补打", "error"


@bp.get("/jobs/<int:job_id>")
@roles_required(Role.CASHIER)
def job(job_id: int) -> str:
    row = db_session().get(PrintJob, job_id)
    if row is None:
        raise NotFound(f"打印任务 {job_id} 不存在")
    html = receipt_html(jobs.document_of(row), settings())
    return render_template(
        "printing/job.html",
        job=row,
        preview=html,
        status_label=STATUS_LABELS.get(row.status, row.status),
        printer=jobs.printer_state(db_session(), settings()),
    )


@bp.post("/jobs/<int:job_id>/retry")
@roles_required(Role.CASHIER)
def retry_job(job_id: int) -> Response:
    status = jobs.retry(app_state().db, job_id, settings(), at=now())
    message, category = _message(status)
    flash(message, category)
    return redirect(url_for("printing.job", job_id=job_id))


@bp.post("/retry")
@roles_required(Role.CASHIER)
def retry_all() -> Response:
    results = jobs.retry_pending(app_state().db, settings(), at=now())
    printed = sum(1 for s in results.values() if s == "printed")
    failed = any(s == "failed" for s in results.values())
    flash(
        f"补打 {printed} 张" + ("；打印机仍不可用" if failed else ""),
        "error" if failed else "ok",
    )
    target = request.referrer or url_for("pos.login")
    return redirect(target if target.startswith(request.host_url) else url_for("pos.login"))


@bp.get("/state")
@roles_required(Role.CASHIER)
@passive  # the terminal polls it: a poll is not the cashier's activity (idle timeout)
def state() -> dict[str, object]:
    data = jobs.printer_state(db_session(), settings())
    return {
        **data,
        "last_error_at": _iso(data["last_error_at"]),
        "last_printed_at": _iso(data["last_printed_at"]),
    }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()
