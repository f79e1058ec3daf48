"""The roster import page: upload a file, see the preview (the difference and every invalid
row), confirm to apply it all or nothing. Between the two steps the upload waits in a temporary
folder under the hash of its content."""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from cards.schemas import RosterConfirmForm
from cards.services import roster
from cards.views.office import BUREAU, bp, form
from core.errors import DomainError, ValidationError
from core.web import current_actor, db_session, now, roles_required, settings


def _upload_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "charity-roster-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _staged(digest: str) -> Path:
    """Where a previewed upload waits; ValidationError once it is gone (or the digest is not
    one of ours)."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValidationError("导入已过期，请重新上传文件")
    stored = _upload_dir() / digest
    if not stored.exists():
        raise ValidationError("导入已过期，请重新上传文件")
    return stored


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*BUREAU)
def import_roster() -> str | Response:
    """Upload a roster, see the preview (diff and every invalid row), confirm to commit."""
    if request.method == "POST" and request.form.get("confirm"):
        return _confirm()
    if request.method == "POST":
        return _preview()
    return render_template("cards/import.html", plan=None, error=None)


def _preview() -> str:
    config = settings()
    session = db_session()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("cards/import.html", plan=None, error="请选择名册文件")
    data = upload.read()
    digest = hashlib.sha256(data).hexdigest()
    try:
        plan = roster.plan_import(
            session,
            data,
            upload.filename,
            categories=config.allowance.categories,
            at=now(),
            tz=config.tz,
        )
    except DomainError as exc:
        return render_template("cards/import.html", plan=None, error=exc.message)
    session.rollback()
    (_upload_dir() / digest).write_bytes(data)
    return render_template("cards/import.html", plan=plan, digest=digest, error=None)


def _confirm() -> str | Response:
    config = settings()
    session = db_session()
    choice = form(RosterConfirmForm)
    stored = _staged(choice.digest)
    plan = roster.plan_import(
        session,
        stored.read_bytes(),
        choice.filename,
        categories=config.allowance.categories,
        at=now(),
        tz=config.tz,
    )
    try:
        record = roster.apply_import(
            session,
            plan,
            skip_invalid=choice.skip_invalid,
            exit_missing=choice.exit_missing,
            at=now(),
            actor=current_actor(),
            tz=config.tz,
        )
    except DomainError as exc:
        session.rollback()
        return render_template(
            "cards/import.html", plan=plan, error=exc.message, digest=choice.digest
        )
    session.commit()
    stored.unlink(missing_ok=True)
    if record is None:
        flash("此文件已导入过，没有任何变化", "ok")
    else:
        flash(
            f"已导入：新增 {record.added} 人，变更 {record.changed} 人，退出 {record.exited} 人，"
            f"跳过 {record.skipped} 行",
            "ok",
        )
    return redirect(url_for("cards.people"))
