"""The roster import page: upload a file, see the preview (the difference and every invalid
row), confirm to apply it all or nothing, or cancel. Between the two steps the upload waits in
the instance folder, encrypted, under an unpredictable name (`cards.services.uploads`); it is
removed when confirmed or cancelled, and after a day at the latest (swept on each upload and
when the app starts)."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from cards.schemas import RosterConfirmForm
from cards.services import roster, uploads
from cards.views.office import BUREAU, bp, form
from core.crypto import FieldCipher
from core.errors import DomainError
from core.web import app_state, current_actor, data_keys, db_session, now, roles_required, settings


@bp.record_once
def _sweep_at_start(state: BlueprintSetupState) -> None:
    """Uploads left from before the app (re)started and older than a day are removed."""
    if isinstance(state.app, Flask):
        folder = app_state(state.app).settings.instance_dir / uploads.FOLDER
        uploads.sweep(folder, now=time.time())


def _folder() -> Path:
    return uploads.uploads_dir(settings().instance_dir)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*BUREAU)
def import_roster() -> str | Response:
    """Upload a roster, see the preview (diff and every invalid row), confirm to commit."""
    if request.method == "POST" and request.form.get("cancel"):
        return _cancel()
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
    keys = data_keys()
    try:
        plan = roster.plan_import(
            session,
            data,
            upload.filename,
            keys=keys,
            categories=config.allowance.categories,
            at=now(),
            tz=config.tz,
        )
    except DomainError as exc:
        return render_template("cards/import.html", plan=None, error=exc.message)
    session.rollback()
    name = uploads.stage(_folder(), data, cipher=FieldCipher(keys), now=time.time())
    return render_template("cards/import.html", plan=plan, upload=name, error=None)


def _cancel() -> Response:
    choice = form(RosterConfirmForm)
    uploads.unstage(_folder(), choice.upload)
    flash("已取消导入，上传的文件已删除", "ok")
    return redirect(url_for("cards.import_roster"))


def _confirm() -> str | Response:
    config = settings()
    session = db_session()
    choice = form(RosterConfirmForm)
    keys = data_keys()
    folder = _folder()
    data = uploads.staged(folder, choice.upload, cipher=FieldCipher(keys))
    plan = roster.plan_import(
        session,
        data,
        choice.filename,
        keys=keys,
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
            address=request.remote_addr or "",
        )
    except DomainError as exc:
        session.rollback()
        return render_template(
            "cards/import.html", plan=plan, error=exc.message, upload=choice.upload
        )
    session.commit()
    uploads.unstage(folder, choice.upload)
    if record is None:
        flash("此文件已导入过，没有任何变化", "ok")
    else:
        flash(
            f"已导入：新增 {record.added} 人，变更 {record.changed} 人，退出 {record.exited} 人，"
            f"跳过 {record.skipped} 行",
            "ok",
        )
    return redirect(url_for("cards.people"))
