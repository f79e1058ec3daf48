"""Staff sign-in and sign-out, the home page by role, and the API's login and logout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from pydantic import Field
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from core.auth import Role, authenticate, issue_token, revoke_token
from core.errors import Unauthorized
from core.web import (
    ApiBlueprint,
    ApiModel,
    api_user,
    bearer_token,
    db_session,
    now,
    roles_required,
    settings,
)

bp = Blueprint("pos", __name__, template_folder="templates")
api = ApiBlueprint("pos_api", __name__, tag="session")

NAV: list[tuple[str, str, tuple[str, ...]]] = [("收银台", "pos.terminal", (Role.CASHIER.value,))]


class LoginForm(FlaskForm):  # type: ignore[misc]
    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


def _home_for(user: Any) -> str:
    if user.role == Role.CASHIER and "pos.terminal" in _endpoints():
        return url_for("pos.terminal")
    return url_for("pos.office")


def _endpoints() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return None
    return target


@bp.route("/", methods=["GET", "POST"])
def login() -> Any:
    """Staff sign-in; once signed in, the home of the user's role."""
    if current_user.is_authenticated:
        return redirect(_home_for(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        session = db_session()
        try:
            user = authenticate(
                session,
                form.username.data,
                form.password.data,
                at=now(),
                max_failures=settings().security.max_failed_logins,
            )
        except Unauthorized as exc:
            session.commit()  # keep the failure count
            error = exc.message
        else:
            session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or _home_for(user))
    return render_template("pos/login.html", form=form, error=error), (401 if error else 200)


@bp.post("/logout")
@login_required  # type: ignore[misc]
def logout() -> Response:
    logout_user()
    return redirect(url_for("pos.login"))


@bp.get("/office")
@login_required  # type: ignore[misc]
def office() -> str:
    """The back-office home: the figures this role watches, and the menu of what it may do."""
    from pos.dashboard import figures

    return render_template(
        "pos/office.html",
        figures=figures(db_session(), current_user, at=now(), settings=settings()),
    )


@bp.get("/terminal")
@roles_required(Role.CASHIER)
def terminal() -> str:
    """The cashier terminal. It works through the JSON API with a bearer token issued for the
    signed-in user now (short-lived, revoked at sign-out like any other)."""
    session = db_session()
    user = current_user._get_current_object()
    token = issue_token(
        session, user, at=now(), ttl=timedelta(hours=settings().security.token_ttl_hours)
    )
    session.commit()
    return render_template(
        "pos/terminal.html",
        api_token=token,
        terminal_no=settings().store.terminal,
        public_sales=settings().store.public_sales,
    )


# --- API ---------------------------------------------------------------------------------------


class LoginRequest(ApiModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginAnswer(ApiModel):
    token: str
    expires_at: str
    role: str
    username: str


class MeAnswer(ApiModel):
    username: str
    name: str
    role: str


@api.operation(
    "/login",
    method="POST",
    summary="登录，取得 Bearer 令牌",
    roles=None,
    body=LoginRequest,
    response=LoginAnswer,
    errors=("validation_error", "unauthorized"),
)
def api_login(body: LoginRequest) -> LoginAnswer:
    session = db_session()
    moment = now()
    try:
        user = authenticate(
            session,
            body.username,
            body.password,
            at=moment,
            max_failures=settings().security.max_failed_logins,
        )
    except Unauthorized:
        session.commit()  # keep the failure count
        raise
    ttl = timedelta(hours=settings().security.token_ttl_hours)
    token = issue_token(session, user, at=moment, ttl=ttl)
    session.commit()
    return LoginAnswer(
        token=token,
        expires_at=(moment + ttl).isoformat(),
        role=user.role,
        username=user.username,
    )


@api.operation("/logout", method="POST", summary="注销当前令牌", errors=("unauthorized",))
def api_logout() -> dict[str, Any]:
    token = bearer_token()
    if token:
        revoke_token(db_session(), token, at=now())
        db_session().commit()
    return {"ok": True}


@api.operation("/me", summary="当前登录的员工", response=MeAnswer, errors=("unauthorized",))
def api_me() -> MeAnswer:
    user = api_user()
    return MeAnswer(username=user.username, name=user.name, role=user.role)
