"""What the app factory wires for the safety of every response and of sign-in: the security
headers (a Content-Security-Policy that runs no inline script and applies no inline style, no
framing, no sniffing, same-origin referrers, HSTS when cookies are HTTPS-only) and the per-address
throttle of failed sign-ins (Flask-Limiter), on top of the per-name lockout of `core.auth`.
"""

from __future__ import annotations

import time
from typing import cast

from flask import Flask, Response, current_app, render_template, request
from flask.typing import RouteCallable
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.errors import ConfigurationError as LimitsConfigurationError
from limits.storage import storage_from_string

from core.config import ConfigError
from core.errors import TooManyAttempts
from core.signin import record_refusal
from core.web import app_state, error_response, is_api_request
from pos.views import LoginForm

# No inline script anywhere (templates load `static/<pkg>/*.js`; data travels in data-
# attributes), and no inline style either: every page's styles are static files. Inline SVG
# (barcodes, QR codes) uses presentation attributes, which are not styles.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# The two doors of sign-in: the page's form and the API's login.
SIGN_IN_ENDPOINTS = ("pos.login", "pos_api.api_login")


def install_security_headers(app: Flask) -> None:
    """Every response (pages, JSON, errors, static files) carries the headers; a view that set
    a stricter one of its own (the balance page's `no-referrer`) keeps it."""

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if app_state(app).settings.security.cookie_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def check_limiter_storage(uri: str) -> None:
    """Refuse, naming the key, a `security.rate_limit_storage` Flask-Limiter cannot use (an
    unknown scheme, or `redis://` without the redis client installed)."""
    try:
        storage_from_string(uri)
    except LimitsConfigurationError as exc:
        raise ConfigError(f"配置项 security.rate_limit_storage 无法使用（{uri}）：{exc}") from None


def install_sign_in_throttle(app: Flask) -> Limiter:
    """Failed sign-ins per client address, page and API together (`security.login_rate_limit`,
    counted in `security.rate_limit_storage`). Only refusals count, so a busy counter's good
    sign-ins never trip it; once tripped, every attempt from that address waits, and each is
    logged (`login_failed`, reason `throttled`)."""
    settings = app_state(app).settings.security
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.rate_limit_storage,
        key_prefix="sign_in",
        headers_enabled=False,
        in_memory_fallback_enabled=True,  # a shared store that is down: count in this process
    )
    throttle = limiter.shared_limit(
        lambda: app_state(app).settings.security.login_rate_limit,
        scope="sign_in",
        methods=["POST"],
        deduct_when=lambda response: response.status_code >= 400,
    )
    for endpoint in SIGN_IN_ENDPOINTS:
        app.view_functions[endpoint] = cast(RouteCallable, throttle(app.view_functions[endpoint]))
    app.extensions["sign_in_limiter"] = limiter
    return limiter


def throttled_sign_in(limiter: Limiter) -> Response:
    """The answer to a sign-in from an address that failed too often: logged, then refused like
    a locked name (429, `Retry-After`)."""
    current = limiter.current_limit
    wait = max(1, int(current.reset_at - time.time()) + 1) if current is not None else 60
    via = "api" if is_api_request() else "page"
    record_refusal(_attempted_name(), reason="throttled", via=via)
    refusal = TooManyAttempts(f"此地址登录失败次数过多，请 {wait} 秒后再试", retry_after=wait)
    if is_api_request():
        return error_response(refusal)
    page = render_template("pos/login.html", form=LoginForm(), error=refusal.message)
    response = current_app.make_response((page, 429))
    response.headers["Retry-After"] = str(wait)
    return response


def _attempted_name() -> str:
    if is_api_request():
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    else:
        name = request.form.get("username")
    return name if isinstance(name, str) else ""
