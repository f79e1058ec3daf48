"""The admin's page of staff accounts (`/admin/staff`): the list (never a password hash), adding
an account, resetting a password, disabling and enabling, changing a role, signing an account out
everywhere. Admins only; every action goes through `core.accounts` (the same functions as
`charity user ...`), which logs it and holds the rules (the last admin stays, nobody disables
themselves)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from core import accounts
from core.auth import ROLE_LABELS, Role
from core.errors import DomainError, ValidationError
from core.signin import client_address
from core.web import current_actor, db_session, now, roles_required
from pos.demo import PUBLISHED_PASSWORDS

bp = Blueprint("staff", __name__, url_prefix="/admin/staff", template_folder="templates")

NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("员工账号", "staff.users", (Role.ADMIN.value,)),
]

ADMIN = (Role.ADMIN,)


@bp.get("/", endpoint="users")
@roles_required(*ADMIN)
def users() -> str:
    rows = accounts.list_accounts(db_session(), at=now())
    return render_template("pos/staff.html", rows=rows, roles=ROLE_LABELS, at=now())


def _act(action: Callable[[], str]) -> Response:
    """Run one account action in the request's transaction: commit and say what was done, or
    undo and show the refusal; back to the list either way."""
    try:
        message = action()
    except DomainError as error:
        db_session().rollback()
        flash(error.message, "error")
    else:
        db_session().commit()
        flash(message, "ok")
    return redirect(url_for("staff.users"))


def _password() -> str:
    first = request.form.get("password", "")
    if first != request.form.get("password2", first):
        raise ValidationError("两次输入的密码不一致")
    return first


@bp.post("/")
@roles_required(*ADMIN)
def add() -> Response:
    def action() -> str:
        user = accounts.create_account(
            db_session(),
            request.form.get("username", ""),
            _password(),
            request.form.get("role", ""),
            at=now(),
            actor=current_actor(),
            display_name=request.form.get("display_name", "").strip(),
            refused_passwords=PUBLISHED_PASSWORDS,
            address=client_address(),
        )
        return f"已添加员工 {user.username}（{user.role_enum.label}）"

    return _act(action)


@bp.post("/<int:user_id>/password")
@roles_required(*ADMIN)
def password(user_id: int) -> Response:
    def action() -> str:
        session = db_session()
        user = accounts.get_account(session, user_id)
        accounts.set_password(
            session,
            user,
            _password(),
            at=now(),
            actor=current_actor(),
            refused_passwords=PUBLISHED_PASSWORDS,
            address=client_address(),
        )
        return f"已为 {user.username} 设置新密码，其所有登录已结束"

    return _act(action)


@bp.post("/<int:user_id>/disable")
@roles_required(*ADMIN)
def disable(user_id: int) -> Response:
    def action() -> str:
        session = db_session()
        user = accounts.get_account(session, user_id)
        ended, revoked = accounts.disable_account(
            session, user, at=now(), actor=current_actor(), address=client_address()
        )
        return f"已停用 {user.username}：结束 {ended} 个登录会话，作废 {revoked} 个令牌"

    return _act(action)


@bp.post("/<int:user_id>/enable")
@roles_required(*ADMIN)
def enable(user_id: int) -> Response:
    def action() -> str:
        session = db_session()
        user = accounts.get_account(session, user_id)
        accounts.enable_account(
            session, user, at=now(), actor=current_actor(), address=client_address()
        )
        return f"已启用 {user.username}"

    return _act(action)


@bp.post("/<int:user_id>/role")
@roles_required(*ADMIN)
def role(user_id: int) -> Response:
    def action() -> str:
        session = db_session()
        user = accounts.get_account(session, user_id)
        accounts.change_role(
            session,
            user,
            request.form.get("role", ""),
            at=now(),
            actor=current_actor(),
            address=client_address(),
        )
        return f"{user.username} 的角色现为 {user.role_enum.label}"

    return _act(action)


@bp.post("/<int:user_id>/revoke")
@roles_required(*ADMIN)
def revoke(user_id: int) -> Response:
    def action() -> str:
        session = db_session()
        user = accounts.get_account(session, user_id)
        ended, revoked = accounts.revoke_access(
            session, user, at=now(), actor=current_actor(), address=client_address()
        )
        return f"已让 {user.username} 在所有地方退出：结束 {ended} 个会话，作废 {revoked} 个令牌"

    return _act(action)
