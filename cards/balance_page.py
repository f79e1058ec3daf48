"""The public balance page behind a card's QR code (`/b/<token>`), its JSON twin, the optional
phone-digits PIN, and the store tablet's kiosk mode (`/kiosk`).

What it shows is the minimum: a masked name, the card's last four digits, the balance, this
month's credit, the last ten movements, the quarter's clothing and the store's address. Never
the ID number, the full name, the phone or the category. An unknown, closed or frozen token
answers exactly the app's own 404 page after the same database lookup, so nobody can tell a
revoked card from a made-up token; every answer is `no-store` and `noindex`; each client
address is rate limited (Flask-Limiter, in memory unless `RATELIMIT_STORAGE_URI` says
otherwise).
"""

from __future__ import annotations

import hmac
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

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
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn
from werkzeug.exceptions import HTTPException, NotFound, TooManyRequests

from cards import ledger, services
from cards.models import Card, LedgerTransaction, Posting
from cards.services import ClothingStatus
from core.config import Settings
from core.errors import DomainError, ValidationError
from core.errors import NotFound as NotFoundError
from core.money import Money
from core.periods import Month, Quarter, local_date
from core.web import app_state, db_session, now, roles_required, settings

bp = Blueprint("balance", __name__, template_folder="templates")

RECENT_LIMIT = 10
KIOSK_CLEAR_SECONDS = 20
PIN_COOKIE = "balance_pin"
PIN_COOKIE_DAYS = 180
PIN_COOKIE_MAX_CARDS = 8
PIN_MAX_DELAY_SECONDS = 15 * 60
# What `cards.services.new_qr_token` makes (token_urlsafe), with room for longer tokens.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Looked up in place of a malformed token: the same query runs, and it can never match.
_NEVER_A_TOKEN = "~" * 24
_WEEKDAYS = "一二三四五六日"


# --- the page's data -------------------------------------------------------------------------


@dataclass(frozen=True)
class Movement:
    """One line of the recent movements, as people read it."""

    at: datetime
    day: date
    label: str
    amount: Money

    @property
    def signed(self) -> str:
        """ "+50.00" / "-28.23"."""
        return f"+{self.amount}" if self.amount.fen > 0 else str(self.amount)


@dataclass(frozen=True)
class MonthCredit:
    month: Month
    day: date
    amount: Money


@dataclass(frozen=True)
class BalanceView:
    """Everything the page (and its JSON) shows for one card, nothing more."""

    holder: str
    card_tail: str
    balance: Money
    as_of: datetime
    today: date
    month: Month
    this_month_credit: MonthCredit | None
    last_topup: Movement | None
    recent: list[Movement]
    clothing: ClothingStatus | None
    clothing_next: date | None
    next_topup: date | None
    store: dict[str, str] = field(default_factory=dict)

    @property
    def clothing_left(self) -> int:
        if self.clothing is None:
            return 0
        return max(self.clothing.allowed - self.clothing.used, 0)


def balance_view(session: Session, card: Card, *, at: datetime, settings: Settings) -> BalanceView:
    """What the balance page shows for `card` at the instant `at`."""
    tz = settings.tz
    account_id = card.account_id
    person = card.account.beneficiary
    today = local_date(at, tz)
    month = Month.of(at, tz)
    credit = _month_credit(session, account_id, month, tz=settings.tz)
    last = ledger.last_topup(session, account_id)
    recent = [
        _movement(line, tz) for line in ledger.recent_entries(session, account_id, RECENT_LIMIT)
    ]
    try:
        clothing: ClothingStatus | None = services.clothing_status(session, person.id, at)
    except DomainError:
        clothing = None
    clothing_next = None
    if clothing is not None and clothing.allowed > 0 and clothing.used >= clothing.allowed:
        clothing_next = clothing.next_available or Quarter.of(at, tz).next().first_day
    store = settings.store
    return BalanceView(
        holder=services.mask_name(person.name),
        card_tail=card.card_no[-4:],
        balance=ledger.balance(session, account_id),
        as_of=at,
        today=today,
        month=month,
        this_month_credit=credit,
        last_topup=_movement(last, tz) if last is not None else None,
        recent=recent,
        clothing=clothing,
        clothing_next=clothing_next,
        next_topup=next_topup_date(today, settings.allowance.topup_day, credit is not None)
        if person.status == "active"
        else None,
        store={
            "name": store.name,
            "address": store.address,
            "hours": store.hours,
            "phone": store.phone,
        },
    )


def next_topup_date(today: date, topup_day: int, credited_this_month: bool) -> date:
    """The `topup_day` of this month while this month's credit has not come (even if the day
    has passed: the bureau is late, it is still the next one), else that of next month. A day
    past the month's end is its last day (topup_day 31 -> 30 November)."""
    month = Month.of_date(today)
    if credited_this_month:
        month = month.next()
    return min(month.first_day + timedelta(days=topup_day - 1), month.last_day)


def _movement(line: ledger.LedgerLine, tz: Any) -> Movement:
    return Movement(
        at=line.at, day=line.at.astimezone(tz).date(), label=line.label, amount=line.amount
    )


def _month_credit(
    session: Session, account_id: int, month: Month, *, tz: Any
) -> MonthCredit | None:
    """The account's top-up for `month` (by the run's month, not the posting date)."""
    row = session.execute(
        select(LedgerTransaction.at, Posting.amount_fen)
        .join(Posting, Posting.txn_id == LedgerTransaction.id)
        .where(
            Posting.account_id == account_id,
            LedgerTransaction.kind == "topup",
            LedgerTransaction.period == str(month),
        )
        .order_by(LedgerTransaction.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return MonthCredit(month=month, day=row[0].astimezone(tz).date(), amount=Money(row[1]))


def view_json(view: BalanceView) -> dict[str, Any]:
    """The JSON answer: the contract's `{holder, balance, last_topup, recent, clothing}` plus
    the rest of what the page shows. Amounts are strings with two decimals."""
    clothing = view.clothing
    return {
        "holder": view.holder,
        "card_tail": view.card_tail,
        "balance": str(view.balance),
        "last_topup": _movement_json(view.last_topup) if view.last_topup else None,
        "this_month_topup": {
            "month": str(view.this_month_credit.month),
            "date": view.this_month_credit.day.isoformat(),
            "amount": str(view.this_month_credit.amount),
        }
        if view.this_month_credit
        else None,
        "recent": [_movement_json(m) for m in view.recent],
        "clothing": {
            "quarter": clothing.quarter,
            "allowed": clothing.allowed,
            "used": clothing.used,
            "left": view.clothing_left,
            "last_taken_at": clothing.last_taken_at.isoformat() if clothing.last_taken_at else None,
            "next_available": view.clothing_next.isoformat() if view.clothing_next else None,
        }
        if clothing is not None
        else None,
        "next_topup": view.next_topup.isoformat() if view.next_topup else None,
        "store": view.store,
        "as_of": view.as_of.isoformat(),
    }


def _movement_json(m: Movement) -> dict[str, str]:
    return {"at": m.at.isoformat(), "date": m.day.isoformat(), "label": m.label, "amount": m.signed}


# --- finding the card ------------------------------------------------------------------------


def card_for_token(session: Session, token: str) -> Card | None:
    """The active card behind `token`, else None, along one path: a malformed token is looked
    up as a value that cannot match, so every miss costs the same indexed query; the stored
    token is compared again in constant time (a case-insensitive collation cannot let a
    look-alike through)."""
    probe = token if _TOKEN.fullmatch(token) else _NEVER_A_TOKEN
    card = services.card_by_token(session, probe)
    if card is None or not hmac.compare_digest(card.qr_token.encode(), probe.encode()):
        return None
    return card


def card_for_scan(session: Session, code: str) -> Card | None:
    """The kiosk's scan: a card number typed by the wedge scanner, or the QR code's URL (or
    its bare token). Only active cards."""
    text = _normalise(code)
    if not text:
        return None
    if text.isdigit():
        if not luhn.is_valid(text):  # a misread scan: no query at all
            return None
        return session.scalar(select(Card).where(Card.card_no == text, Card.status == "active"))
    path = urlsplit(text).path if "/" in text else f"/b/{text}"
    match = re.search(r"/b/([^/?#]+)", path)
    return card_for_token(session, match.group(1)) if match else None


def _normalise(value: str) -> str:
    """Full-width digits and letters to ASCII (NFKC), whitespace removed: what scanners and
    Chinese input methods type."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


# --- the optional PIN (last four digits of the registered phone) ------------------------------


def phone_tail(phone: str) -> str | None:
    """The last four digits of a phone number, or None when it has fewer than four."""
    digits = "".join(c for c in _normalise(phone) if c.isdigit())
    return digits[-4:] if len(digits) >= 4 else None


class PinAttempts:
    """Wrong PINs per card, in this process: after the n-th wrong one the card refuses tries
    for 2**(n-1) seconds (1, 2, 4, ... up to 15 minutes), so 10,000 guesses take months. A
    right PIN clears the count."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[int, tuple[int, datetime]] = {}

    def wait_seconds(self, card_id: int, at: datetime) -> int:
        with self._lock:
            failures, until = self._state.get(card_id, (0, at))
        return max(0, int((until - at).total_seconds() + 0.999)) if failures else 0

    def failed(self, card_id: int, at: datetime) -> int:
        """Count a wrong PIN; the seconds to wait before the next try."""
        with self._lock:
            failures = self._state.get(card_id, (0, at))[0] + 1
            delay = min(2 ** (failures - 1), PIN_MAX_DELAY_SECONDS)
            self._state[card_id] = (failures, at + timedelta(seconds=delay))
        return delay

    def failures(self, card_id: int) -> int:
        with self._lock:
            return self._state.get(card_id, (0, None))[0]

    def cleared(self, card_id: int) -> None:
        with self._lock:
            self._state.pop(card_id, None)


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
    """The expected PIN when this device must still give it, else None."""
    if not settings().balance_page.pin:
        return None
    expected = phone_tail(card.account.beneficiary.phone)
    if expected is None:  # no phone on file: nothing to ask (the QR token still guards)
        return None
    return None if card.id in _pinned_cards() else expected


def _attempts() -> PinAttempts:
    return app_state().extras.setdefault("balance_pin_attempts", PinAttempts())  # type: ignore[no-any-return]


# --- views -----------------------------------------------------------------------------------


def _wants_json() -> bool:
    """`Accept: application/json` (a browser's `text/html, */*` stays HTML)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _not_found() -> Any:
    """Exactly what any unknown path answers (the app's 404 page), or its JSON form."""
    if _wants_json():
        return jsonify(NotFoundError("页面不存在").to_json()), 404
    raise NotFound()


@bp.route("/b/<path:token>", methods=["GET", "POST"])
def balance(token: str) -> Any:
    """The balance page of the card behind `token` (POST: the PIN form)."""
    session = db_session()
    card = card_for_token(session, token)
    if card is None:
        return _not_found()
    expected = _pin_needed(card)
    if expected is not None:
        return _pin_step(card, token, expected)
    view = balance_view(session, card, at=now(), settings=settings())
    if _wants_json():
        return jsonify(view_json(view))
    return render_template("cards/balance.html", view=view, weekdays=_WEEKDAYS)


def _pin_step(card: Card, token: str, expected: str) -> Any:
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
    given = _normalise(request.form.get("pin", ""))
    if not hmac.compare_digest(given.encode(), expected.encode()):
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
def kiosk() -> Any:
    """The store tablet: scan a card (number or QR), see its balance, cleared after 20 s. A
    staff member signs the tablet in; the card in hand stands for the PIN."""
    view = None
    message = ""
    if request.method == "POST":
        session = db_session()
        card = card_for_scan(session, request.form.get("code", ""))
        if card is None:
            message = "没有查到这张卡，请重新扫码，或到服务台咨询"
        else:
            view = balance_view(session, card, at=now(), settings=settings())
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
def _too_many(error: HTTPException) -> Any:
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
