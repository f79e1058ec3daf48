"""The public balance page behind a card's QR code (`/b/<token>`), its JSON twin, the optional
phone-digits PIN, and the store tablet's kiosk mode (`/kiosk`); what they show is read by
`cards.services.balance`.

An unknown, closed or frozen token answers exactly the app's own 404 page after the same
database lookup, so nobody can tell a revoked card from a made-up token; every answer is
`no-store` and `noindex`; each client address is rate limited (Flask-Limiter, in memory unless
`RATELIMIT_STORAGE_URI` says otherwise).
"""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException, NotFound, TooManyRequests

from cards import hooks
from cards.models import Card
from cards.schemas import BalanceAnswer
from cards.services.balance import (
    BalanceView,
    PinAttempts,
    balance_view,
    card_for_scan,
    card_for_token,
    phone_pin_matches,
)
from core.crypto import FieldCipher
from core.errors import NotFound as NotFoundError
from core.errors import ValidationError
from core.web import app_state, data_keys, db_session, now, roles_required, settings

bp = Blueprint("balance", __name__, template_folder=str(Path(__file__).parent.parent / "templates"))

KIOSK_CLEAR_SECONDS = 20
PIN_COOKIE = "balance_pin"
PIN_COOKIE_DAYS = 180
PIN_COOKIE_MAX_CARDS = 8
_WEEKDAYS = "一二三四五六日"
_ATTEMPTS = "balance_pin_attempts"


def _view(card: Card) -> BalanceView:
    return balance_view(
        db_session(),
        card,
        at=now(),
        settings=settings(),
        allowance=hooks.current().clothing_allowance,
    )


# --- the optional PIN (last four digits of the registered phone) ------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="balance-page-pin")


def _pinned_cards() -> list[int]:
    raw = request.cookies.get(PIN_COOKIE)
    if not raw:
        return []
    try:
        value = _serializer().loads(raw, max_age=PIN_COOKIE_DAYS * 86400)
    except BadSignature:
        return []
    return [int(v) for v in value if isinstance(v, int)] if isinstance(value, list) else []


def _pin_needed(card: Card) -> str | None:
    """What the PIN is checked against (the blind index of the phone's last four digits) when
    this device must still give it, else None."""
    if not settings().balance_page.pin:
        return None
    expected = card.account.beneficiary.phone_last4_index
    if not expected:  # no phone on file: nothing to ask (the QR token still guards)
        return None
    return None if card.id in _pinned_cards() else expected


def _attempts() -> PinAttempts:
    """This app's count of wrong PINs (each app its own)."""
    extras = app_state().extras
    attempts = extras.get(_ATTEMPTS)
    if not isinstance(attempts, PinAttempts):
        attempts = extras[_ATTEMPTS] = PinAttempts()
    return attempts


# --- views -----------------------------------------------------------------------------------


def _wants_json() -> bool:
    """`Accept: application/json` (a browser's `text/html, */*` stays HTML)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _not_found() -> ResponseReturnValue:
    """Exactly what any unknown path answers (the app's 404 page), or its JSON form."""
    if _wants_json():
        return jsonify(NotFoundError("页面不存在").to_json()), 404
    raise NotFound()


@bp.route("/b/<path:token>", methods=["GET", "POST"])
def balance(token: str) -> ResponseReturnValue:
    """The balance page of the card behind `token` (POST: the PIN form)."""
    card = card_for_token(db_session(), token)
    if card is None:
        return _not_found()
    expected = _pin_needed(card)
    if expected is not None:
        return _pin_step(card, token, expected)
    view = _view(card)
    if _wants_json():
        return jsonify(BalanceAnswer.of(view).model_dump(mode="json"))
    return render_template("cards/balance.html", view=view, weekdays=_WEEKDAYS)


def _pin_step(card: Card, token: str, expected: str) -> ResponseReturnValue:
    attempts = _attempts()
    at = now()
    if _wants_json():
        body = {
            "error": {"code": "unauthorized", "message": "请先在手机网页上输入登记手机号的后四位"}
        }
        return jsonify(body), 401
    if request.method != "POST":
        return render_template("cards/balance_pin.html", token=token, message="", wait=0)
    wait = attempts.wait_seconds(card.id, at)
    if wait:
        message = f"输入错误次数较多，请 {_duration(wait)}后再试"
        return render_template(
            "cards/balance_pin.html", token=token, message=message, wait=wait
        ), 429
    if not phone_pin_matches(
        request.form.get("pin", ""), expected, cipher=FieldCipher(data_keys())
    ):
        delay = attempts.failed(card.id, at)
        message = f"号码不对，请核对登记的手机号后四位，{_duration(delay)}后可再试"
        return render_template(
            "cards/balance_pin.html", token=token, message=message, wait=delay
        ), 400
    attempts.cleared(card.id)
    kept = [c for c in _pinned_cards() if c != card.id][-(PIN_COOKIE_MAX_CARDS - 1) :]
    cards = [*kept, card.id]
    response = redirect(url_for("balance.balance", token=token), code=303)
    response.set_cookie(
        PIN_COOKIE,
        _serializer().dumps(cards),
        max_age=PIN_COOKIE_DAYS * 86400,
        path="/b/",
        httponly=True,
        samesite="Lax",
        secure=request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} 秒"
    return f"{(seconds + 59) // 60} 分钟"


@bp.route("/kiosk", methods=["GET", "POST"])
@roles_required()
def kiosk() -> str:
    """The store tablet: scan a card (number or QR), see its balance, cleared after 20 s. A
    staff member signs the tablet in; the card in hand stands for the PIN."""
    view = None
    message = ""
    if request.method == "POST":
        card = card_for_scan(db_session(), request.form.get("code", ""))
        if card is None:
            message = "没有查到这张卡，请重新扫码，或到服务台咨询"
        else:
            view = _view(card)
    return render_template(
        "cards/kiosk.html",
        view=view,
        message=message,
        clear_seconds=int(current_app.config.get("KIOSK_CLEAR_SECONDS", KIOSK_CLEAR_SECONDS)),
        weekdays=_WEEKDAYS,
    )


@bp.after_request
def _private(response: Response) -> Response:
    """A balance is nobody's business: never cached, never indexed, never in a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.vary.add("Accept")
    response.vary.add("Cookie")
    return response


@bp.errorhandler(TooManyRequests)
def _too_many(error: HTTPException) -> ResponseReturnValue:
    message = "查询太频繁了，请休息一分钟再试"
    if _wants_json():
        return jsonify({"error": {"code": "validation_error", "message": message}}), 429
    return render_template("error.html", error=ValidationError(message)), 429


# --- wiring ----------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """A limiter for this app (its own storage, so apps never share counts): every route of the
    balance blueprint shares `balance_page.rate_limit` per client address."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
        headers_enabled=True,
        key_prefix="balance",
    )
    limiter.shared_limit(
        lambda: app_state(app).settings.balance_page.rate_limit, scope="balance_page"
    )(bp)
    app.extensions["balance_limiter"] = limiter
