"""The composition root: builds the settings, the database and the hooks one package hands
another, and one Flask app serving the pages and the JSON API of every package, each blueprint
registered here by name. Nothing here sets another package's module state: two apps built side by
side (as in tests) share nothing."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import DecimalException
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, g, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import RateLimitExceeded
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

import cards.api
import cards.hooks
import cards.views
import cards.views.balance
import clothing_exchange.api
import clothing_exchange.services
import clothing_exchange.services.reports
import clothing_exchange.views
import core
import inventory.api
import inventory.views
import pos.api
import pos.audit_views
import pos.counter_api
import pos.display
import pos.printing.views
import pos.report_views
import pos.services.fund_figures
import pos.staff
import pos.views
from core.config import ConfigError, Settings, load_settings
from core.db import Database
from core.errors import DomainError, Forbidden, NotFound, Unauthorized, ValidationError
from core.money import Money, MoneyError
from core.openapi import build_openapi
from core.web import (
    ApiBlueprint,
    AppState,
    app_state,
    close_db_session,
    db_session,
    error_response,
    is_api_request,
    load_page_user,
    status_for,
)
from pos.demo import PUBLISHED_PASSWORDS
from pos.printing.services.worker import start_retry_worker
from pos.security import (
    SIGN_IN_ENDPOINTS,
    check_limiter_storage,
    install_security_headers,
    install_sign_in_throttle,
    throttled_sign_in,
)

log = logging.getLogger(__name__)

VERSION = "0.1.0"

# Every package's blueprints, pages and JSON, in layer order.
BLUEPRINTS: tuple[Blueprint, ...] = (
    pos.views.bp,
    pos.api.session_api,
    pos.api.api,
    pos.views.office_bp,
    pos.staff.bp,
    pos.audit_views.bp,
    pos.display.bp,
    pos.display.api,
    pos.counter_api.api,
    pos.report_views.bp,
    pos.printing.views.bp,
    cards.views.bp,
    cards.api.api,
    cards.views.balance.bp,
    inventory.views.bp,
    inventory.api.api,
    clothing_exchange.views.bp,
    clothing_exchange.api.api,
)

# The back-office menu: every package's NAV entries, in layer order.
_NAV_MODULES = (
    pos.views,
    pos.staff,
    pos.audit_views,
    pos.report_views,
    cards.views,
    inventory.views,
    clothing_exchange.views,
)


class _SessionInterface(SecureCookieSessionInterface):
    """Session cookies are Secure whenever the request came over HTTPS (or config says always)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def build_hooks(settings: Settings) -> cards.hooks.CardsHooks:
    """What the cards package is handed (by the app, and by a command that needs it): the
    clothing allowance under these settings, the card-sale figures and the clothing handed out
    that the fund statement shows."""
    return cards.hooks.CardsHooks(
        clothing_allowance=clothing_exchange.services.allowance_for(settings),
        sales_figures=pos.services.fund_figures.sales_figures,
        clothing_given=clothing_exchange.services.reports.given_between,
    )


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    clock: Callable[[], datetime] | None = None,
    demo: bool = False,
    testing: bool = False,
) -> Flask:
    """Build the app. Outside demo and testing (contract "Outside demo mode") a data key and a
    secret key of at least 32 characters are required, and the demo accounts' published passwords
    are refused at sign-in."""
    settings = settings or load_settings()
    secret = settings.security.secret_key
    if not (demo or testing):
        problem = settings.security.production_problem()
        if problem is not None:
            raise ConfigError(problem)
    if not secret:
        secret = secrets.token_hex(32)

    app = Flask(
        "pos",
        static_folder=str(Path(core.__file__).parent / "static"),  # the shared assets
        template_folder=str(Path(pos.views.__file__).parent / "templates"),
    )
    app.config.update(
        SECRET_KEY=secret,
        TESTING=testing,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.security.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
        RATELIMIT_STORAGE_URI=settings.security.rate_limit_storage,
    )
    app.session_interface = _SessionInterface()
    if isinstance(app.json, DefaultJSONProvider):
        app.json.ensure_ascii = False
    state = AppState(
        settings=settings,
        db=database or Database(settings.database.url),
        clock=clock or (lambda: datetime.now(UTC)),
        demo=demo,
        testing=testing,
        refused_passwords=frozenset() if demo else PUBLISHED_PASSWORDS,
    )
    app.extensions["charity"] = state
    cards.hooks.install(app, build_hooks(settings))

    login_manager = LoginManager(app)
    login_manager.login_view = "pos.login"
    login_manager.login_message = "请先登录"
    login_manager.user_loader(load_page_user)  # the server-side session the cookie names

    csrf = CSRFProtect(app)
    for blueprint in BLUEPRINTS:
        if isinstance(blueprint, ApiBlueprint):
            csrf.exempt(blueprint)  # bearer tokens, not cookies: no CSRF to forge
        app.register_blueprint(blueprint)
    check_limiter_storage(settings.security.rate_limit_storage)
    cards.views.balance.init_app(app)  # the balance page's rate limiter, this app's own
    install_sign_in_throttle(app)
    install_security_headers(app)
    if not testing:
        start_retry_worker(state)

    app.teardown_appcontext(close_db_session)
    _register_errors(app)
    _register_meta_routes(app)
    _register_template_helpers(app)
    return app


def nav_entries() -> list[tuple[str, str, tuple[str, ...]]]:
    """The back-office menu: every package's NAV entries, in layer order."""
    entries: list[tuple[str, str, tuple[str, ...]]] = []
    for module in _NAV_MODULES:
        entries.extend(module.NAV)
    return entries


def _register_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Any:
        if is_api_request():
            return error_response(error)
        return render_template("error.html", error=error), status_for(error)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Any:
        return render_template(
            "error.html", error=ValidationError("页面已过期，请刷新页面后重试")
        ), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if isinstance(error, RateLimitExceeded) and request.endpoint in SIGN_IN_ENDPOINTS:
            return throttled_sign_in(app.extensions["sign_in_limiter"])
        status = error.code or 500
        mapped: DomainError
        if status == 404:
            mapped = NotFound("接口不存在" if is_api_request() else "页面不存在")
        elif status == 401:
            mapped = Unauthorized("需要登录")
        elif status == 403:
            mapped = Forbidden("无权访问")
        elif status == 405:
            mapped = ValidationError(f"不支持的请求方法 {request.method}")
        elif status == 413:
            mapped = ValidationError("上传的内容太大")
        elif status == 429:
            mapped = ValidationError("请求太频繁，请稍后再试")
        else:
            mapped = ValidationError(error.description or "请求无效")
        if is_api_request():
            response = jsonify(mapped.to_json())
            response.status_code = status
        else:
            response = app.make_response((render_template("error.html", error=mapped), status))
        allow = getattr(error, "valid_methods", None)
        if status == 405 and allow:
            response.headers["Allow"] = ", ".join(sorted(allow))
        return response

    @app.errorhandler(MoneyError)
    def _money_error(error: MoneyError) -> Any:
        # Text that is not an amount or a quantity, caught by a parser deeper than the models.
        return _domain_error(ValidationError(str(error)))

    @app.errorhandler(OverflowError)
    @app.errorhandler(DecimalException)
    @app.errorhandler(DataError)
    def _out_of_range(error: Exception) -> Any:
        # A number too large for the database (or for Decimal arithmetic), or text the database
        # refuses: bad input that got past the models. Nothing was committed.
        log.warning("refused out-of-range input on %s %s: %s", request.method, request.path, error)
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        return _domain_error(ValidationError("输入的数值超出范围或含有数据库不接受的字符"))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if app.testing:
            raise error
        if is_api_request():
            body = {"error": {"code": "internal_error", "message": "系统内部错误，请联系管理员"}}
            return jsonify(body), 500
        return render_template("error.html", error=None), 500


def _register_meta_routes(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        db_session().execute(text("SELECT 1"))
        return {"status": "ok", "database": app_state().db.dialect, "version": VERSION}

    @app.get("/api/openapi.json")
    def openapi() -> dict[str, Any]:
        return build_openapi(app, title="慈善超市 API", version=VERSION)


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def _globals() -> dict[str, object]:
        state = app_state()
        return {
            "store_name": state.settings.store.name,
            "demo_mode": state.demo,
            "nav_entries": nav_entries,
        }

    @app.template_filter("money")
    def _money(value: Money | int | None) -> str:
        if value is None:
            return ""
        return (value if isinstance(value, Money) else Money(value)).format()

    @app.template_filter("local")
    def _local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return ""
        return value.astimezone(app_state().settings.tz).strftime(fmt)
