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
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.orm import Session

from core.auth import Actor, Role, StaffUser, resolve_token
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
    return cast(Session, g.db_session)


def close_db_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


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


_PYDANTIC_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段",
    "string_type": "应为文本",
    "string_unicode": "含有无效的字符编码",
    "string_pattern_mismatch": "格式不对",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "int_parsing_size": "数值太大",
    "finite_number": "应为有限数字",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_short": "不能为空",
    "too_long": "太长",
    "string_too_short": "不能为空",
    "string_too_long": "太长",
    "greater_than": "应大于",
    "greater_than_equal": "应大于或等于",
    "less_than": "应小于",
    "less_than_equal": "超出范围",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
    "datetime_parsing": "应为日期时间",
    "datetime_type": "应为日期时间",
    "date_parsing": "应为日期",
    "date_type": "应为日期",
    "json_invalid": "不是有效的 JSON",
    "recursion_loop": "嵌套太深",
}

# What a type error expects, so that a union (`str | int`) reads "应为文本或整数".
_EXPECTED = {
    "string_type": "文本",
    "int_type": "整数",
    "int_parsing": "整数",
    "int_from_float": "整数",
    "bool_type": "true 或 false",
    "bool_parsing": "true 或 false",
    "list_type": "列表",
    "dict_type": "对象",
    "model_type": "对象",
    "float_type": "数字",
    "float_parsing": "数字",
    "none_required": "null",
}

# Pydantic names union members and wrappers in error locations (`qty.int`,
# `lines.0.qty.constrained-str`, `function-after[...]`); people want the field only.
_TAG = re.compile(r"^(int|str|float|bool|none|bytes|decimal|[a-z]+-[a-z-]+(\[.*\])?|\w+\[.*\])$")


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, str) and _TAG.match(part):
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "请求"


def _error_text(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        # our own validators raise ValueError with a Chinese message
        return str(ctx.get("error", error["msg"])).removeprefix("Assertion failed, ")
    text = _PYDANTIC_MESSAGES.get(kind, "取值无效")
    for key in ("gt", "ge", "lt", "le"):
        if key in ctx and kind.startswith(("greater", "less")):
            text = f"{text} {ctx[key]}"
    if kind in ("string_too_long", "too_long") and "max_length" in ctx:
        text = f"太长（最多 {ctx['max_length']} 个）"
    if kind in ("string_too_short", "too_short") and ctx.get("min_length", 1) > 1:
        text = f"太短（至少 {ctx['min_length']} 个）"
    if kind == "literal_error" and "expected" in ctx:
        text = f"取值无效，可选：{ctx['expected']}"
    return text


def describe_validation_error(exc: PydanticValidationError) -> str:
    """One Chinese sentence naming the first bad field, e.g. `字段 lines[0].qty：应为整数`."""
    errors = exc.errors()
    first = errors[0]
    where = _field_path(tuple(first["loc"]))
    same = [e for e in errors if _field_path(tuple(e["loc"])) == where]
    if len(same) > 1 and all(e["type"] in _EXPECTED for e in same):
        nouns = list(dict.fromkeys(_EXPECTED[e["type"]] for e in same))
        text = "应为" + "或".join(nouns)
    else:
        own = [e for e in same if e["type"] in ("value_error", "assertion_error")]
        text = _error_text(own[0] if own else first)
    more = len({_field_path(tuple(e["loc"])) for e in errors}) - 1
    suffix = f"（另有 {more} 处错误）" if more > 0 else ""
    return f"字段 {where}：{text}{suffix}"


# JSON numbers beyond 2**53 are not exact in most clients (RFC 7493) and overflow the database.
MAX_JSON_INT = 2**53
MAX_JSON_DEPTH = 32


def check_json_values(value: object, where: str = "", depth: int = 0) -> None:
    """Refuse what pydantic lets through but the database cannot store: NUL characters, lone
    surrogates, integers beyond 2**53, and absurd nesting. Names the field."""
    label = where or "请求"
    if depth > MAX_JSON_DEPTH:
        raise ValidationError(f"字段 {label}：嵌套太深")
    if isinstance(value, str):
        _check_text(value, f"字段 {label}")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if abs(value) > MAX_JSON_INT:
            raise ValidationError(f"字段 {label}：数值太大（{str(value)[:24]}…）")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(str(key), f"字段 {label} 的键")
            check_json_values(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_values(item, f"{where}[{index}]", depth + 1)


def _check_text(text: str, what: str) -> None:
    if "\x00" in text:
        raise ValidationError(f"{what}：含有不允许的空字符（\\u0000）")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{what}：含有无效的字符编码（不成对的代理字符）") from None


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
            _check_text(value, f"路径参数 {name}")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_JSON_INT:
            raise ValidationError(f"路径参数 {name} 超出范围：{str(value)[:24]}…")


def _bearer_user() -> StaffUser:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise Unauthorized("需要登录：请求头缺少 Authorization: Bearer 令牌")
    return resolve_token(db_session(), header[7:].strip(), at=now())


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
