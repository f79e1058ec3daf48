"""What every package's Flask views share: the request's session and clock, role checks for pages,
and `ApiBlueprint`, which validates JSON requests with pydantic models and records each operation
so that `/api/openapi.json` is generated from the very declarations that validate.

Views own the transaction: they call services, then `db_session().commit()` once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, Response, current_app, g, jsonify, redirect, request, url_for
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from core.auth import Actor, Role, StaffSession, StaffUser, live_token
from core.config import Settings
from core.db import Database
from core.errors import (
    DomainError,
    Forbidden,
    TooManyAttempts,
    Unauthorized,
    ValidationError,
)
from core.keys import DataKeys, resolve_keys
from core.sessions import live_session, needs_touch, touch_statement
from core.validation import MAX_JSON_INT, check_json_values, check_text
from core.validation import describe_validation_error as describe_validation_error  # re-export

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class AppState:
    """What the app factory hangs on `app.extensions["charity"]`."""

    settings: Settings
    db: Database
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    demo: bool = False
    extras: dict[str, Any] = field(default_factory=dict)
    testing: bool = False
    # Passwords sign-in refuses even when right: outside demo mode, the demo accounts' published
    # ones (handed in by the app, which knows the demo).
    refused_passwords: frozenset[str] = frozenset()
    _keys: DataKeys | None = field(default=None, repr=False)

    @property
    def keys(self) -> DataKeys:
        """The data key and its subkeys, resolved on first use (a demo or test app makes its
        own, kept beside its database; anything else needs `security.data_key`)."""
        if self._keys is None:
            self._keys = resolve_keys(
                self.settings.security.data_key,
                self.settings.instance_dir,
                demo=self.demo or self.testing,
            )
        return self._keys


def app_state(app: Flask | None = None) -> AppState:
    return cast(AppState, (app or current_app).extensions["charity"])


def data_keys() -> DataKeys:
    """The running app's data keys (see `AppState.keys`)."""
    return app_state().keys


def settings() -> Settings:
    return app_state().settings


def now() -> datetime:
    """The current instant (aware UTC); tests replace the app's clock."""
    return app_state().clock()


def db_session() -> Session:
    """The request's session, opened on first use and closed when the request ends. Requests
    that may change things (not GET) get a writing session (IMMEDIATE on SQLite)."""
    if "db_session" not in g:
        write = request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("read_only")
        g.db_session = app_state().db.session(write=write)
        g.db_session_writes = write
    return cast(Session, g.db_session)


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


# --- server-side sessions -------------------------------------------------------------------

SESSION_ID_KEY = "sid"  # the one value of ours the signed session cookie carries


def passive(view: F) -> F:
    """Mark a view whose requests are not the user's activity (the terminal's printer poll): they
    need a live session but do not keep it alive, so the idle timeout still comes."""
    setattr(view, "charity_passive", True)  # noqa: B010 - an attribute functools.wraps carries
    return view


def _passive_request() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "charity_passive", False))


def touch_session(row: StaffSession) -> None:
    """Move a session's idle clock for this request (at most once a minute): in the request's own
    transaction when it writes anyway, else in a short one of its own (so a reading request never
    takes the write lock)."""
    at = now()
    if _passive_request() or not needs_touch(row, at):
        return
    if g.get("db_session_writes"):
        row.last_seen_at = at
        return
    with app_state().db.engine.begin() as connection:
        connection.execute(touch_statement(row.id, at))


def load_page_user(user_id: str) -> StaffUser | None:
    """Flask-Login's user loader: the user of the live server-side session the signed cookie
    names, or None (signed out, ended, idle too long, account disabled: the cookie is cleared)."""
    sid = cookie_session.get(SESSION_ID_KEY)
    row = live_session(db_session(), sid, at=now()) if isinstance(sid, str) and sid else None
    if row is None or str(row.user_id) != user_id:
        cookie_session.clear()
        return None
    g.staff_session = row
    touch_session(row)
    return row.user


def page_session() -> StaffSession | None:
    """The server-side session of the signed-in page user in this request, if any."""
    if not current_user.is_authenticated:
        return None
    return cast(StaffSession | None, g.get("staff_session"))


# --- pages ----------------------------------------------------------------------------------


def _sign_in_endpoint() -> str:
    """The sign-in page, as the app told Flask-Login (`login_manager.login_view`)."""
    manager = getattr(current_app, "login_manager", None)
    endpoint = getattr(manager, "login_view", None)
    if not isinstance(endpoint, str) or not endpoint:
        raise Unauthorized("需要登录")
    return endpoint


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Page decorator: signed in, with one of `roles` (or a role that implies it)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for(_sign_in_endpoint(), next=request.full_path))
            if roles and not current_user.has_role(*roles):
                raise Forbidden("您的账号无权使用此功能")
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


# --- JSON API -------------------------------------------------------------------------------


class ApiModel(BaseModel):
    """Base of request and answer models: unknown fields are refused, names kept as written."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    endpoint: str
    summary: str
    roles: tuple[str, ...] | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[str, ...]
    tag: str
    also: tuple[int, ...] = ()  # other success statuses with the same answer (a replay's 200)


def _json_body() -> Any:
    """The request's JSON body, or a validation error that says what is wrong with it."""
    if not request.get_data(cache=True):
        raise ValidationError("缺少请求体：应为 JSON 对象")
    if not request.is_json:
        raise ValidationError("请求体应为 JSON，请设置 Content-Type: application/json")
    try:
        payload = request.get_json(silent=True)
    except RecursionError:
        raise ValidationError("请求体嵌套太深") from None
    if payload is None and request.get_data(cache=True).strip() != b"null":
        raise ValidationError("请求体不是有效的 JSON")
    check_json_values(payload)
    return payload


def _check_path_values(values: dict[str, object]) -> None:
    for name, value in values.items():
        if isinstance(value, str):
            check_text(value, f"路径参数 {name}")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_JSON_INT:
            raise ValidationError(f"路径参数 {name} 超出范围：{str(value)[:24]}…")


def _bearer_user() -> StaffUser:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise Unauthorized("需要登录：请求头缺少 Authorization: Bearer 令牌")
    row = live_token(db_session(), header[7:].strip(), at=now())
    if row.staff_session is not None:
        touch_session(row.staff_session)
    return row.user


def api_user() -> StaffUser:
    """The user of the current API request (after an operation with roles)."""
    return cast(StaffUser, g.api_user)


def current_actor() -> Actor:
    """Who is acting in this request: the API token's user, else the signed-in page user."""
    user = g.get("api_user")
    if user is None and current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None:
        raise Unauthorized("需要登录")
    return Actor.of(user)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


_RULE_PARAM = re.compile(r"<(?:[a-z]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")


class ApiBlueprint(Blueprint):
    """A blueprint of JSON operations under /api/v1, each declared once with its models."""

    def __init__(self, name: str, import_name: str, *, tag: str) -> None:
        super().__init__(name, import_name, url_prefix="/api/v1")
        self.tag = tag
        self.operations: list[Operation] = []

    def operation(
        self,
        rule: str,
        *,
        method: str = "GET",
        summary: str,
        roles: tuple[Role | str, ...] | None = (),
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[str, ...] = (),
        read_only: bool = False,
        also: tuple[int, ...] = (),
    ) -> Callable[[F], F]:
        """Declare an operation. `roles=None`: public; `()`: any signed-in user; else those roles.
        The view receives `body=` and/or `query=` as validated models. `also`: further success
        statuses the view may answer with the same model (documented alike). `read_only=True` for a
        POST that changes nothing (a quote): its session then never takes the write lock."""

        def decorate(view: F) -> F:
            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
                g.read_only = read_only
                if roles is not None:
                    user = _bearer_user()
                    if roles and not user.has_role(*roles):
                        raise Forbidden("您的账号无权进行此操作")
                    g.api_user = user
                _check_path_values(kwargs)
                if body is not None:
                    payload = _json_body()
                    try:
                        # strict: JSON has types; `true` is no quantity and `0` no boolean
                        kwargs["body"] = body.model_validate(payload, strict=True)
                    except PydanticValidationError as exc:
                        raise ValidationError(describe_validation_error(exc)) from None
                if query is not None:
                    params = request.args.to_dict()
                    check_json_values(params)
                    try:
                        kwargs["query"] = query.model_validate(params)
                    except PydanticValidationError as exc:
                        raise ValidationError(describe_validation_error(exc)) from None
                result = view(*args, **kwargs)
                if isinstance(result, BaseModel):
                    return jsonify(result.model_dump(mode="json")), status
                if isinstance(result, dict):
                    return jsonify(result), status
                return cast(ResponseReturnValue, result)

            self.add_url_rule(rule, view_func=wrapper, methods=[method])
            self.operations.append(
                Operation(
                    path=(self.url_prefix or "") + _RULE_PARAM.sub(r"{\1}", rule),
                    method=method.lower(),
                    endpoint=f"{self.name}.{view.__name__}",
                    summary=summary,
                    roles=None if roles is None else tuple(str(r) for r in roles),
                    body=body,
                    query=query,
                    response=response,
                    status=status,
                    errors=errors,
                    tag=self.tag,
                    also=also,
                )
            )
            return cast(F, wrapper)

        return decorate


def api_operations(app: Flask) -> list[Operation]:
    ops: list[Operation] = []
    for bp in app.blueprints.values():
        if isinstance(bp, ApiBlueprint):
            ops.extend(bp.operations)
    return ops


def is_api_request() -> bool:
    return request.path.startswith("/api/")


# The HTTP status of each contract error code: the one place a domain error meets HTTP.
STATUS_BY_CODE: dict[str, int] = {
    "validation_error": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "unknown_product": 404,
    "unknown_card": 404,
    "conflict": 409,
    "card_frozen": 422,
    "beneficiary_inactive": 422,
    "insufficient_balance": 422,
    "clothing_quota_exceeded": 422,
    "payment_mismatch": 422,
}
# Errors whose status is not their code's: "unauthorized" for now, but "try again later".
_STATUS_BY_CLASS: tuple[tuple[type[DomainError], int], ...] = ((TooManyAttempts, 429),)


def status_for(error: DomainError) -> int:
    """The HTTP status that answers `error` (page or API): by its class where one is listed, else
    by its contract code; 400 for a code the contract does not know."""
    for kind, status in _STATUS_BY_CLASS:
        if isinstance(error, kind):
            return status
    return STATUS_BY_CODE.get(error.code, 400)


def error_response(error: DomainError) -> Response:
    """The API's answer to a domain error: `{"error": {"code", "message"}}` with its status."""
    status = status_for(error)
    response = jsonify(error.to_json())
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="charity"'
    retry = error.details.get("retry_after")
    if retry is not None:
        response.headers["Retry-After"] = str(retry)
    return response
