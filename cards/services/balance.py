"""What the public balance page and the store's kiosk read for one card: the card behind a QR
token or a scan, and the minimum they show (a masked name, the card's last four digits, the
balance, this month's credit, the last ten movements, the quarter's clothing, the store's
address). Never the ID number, the full name, the phone or the category. Also the optional PIN
(the last four digits of the registered phone) and how wrong PINs slow down."""

from __future__ import annotations

import hmac
import re
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import luhn

from cards.hooks import ClothingAllowance, ClothingStatus
from cards.models import Card, LedgerTransaction, Posting
from cards.services import ledger, personal, statement
from cards.services.cards import card_by_token
from cards.services.clothing import clothing_status
from cards.services.text import mask_name, normalise_text
from core.config import Settings
from core.crypto import FieldCipher
from core.errors import DomainError
from core.money import Money
from core.periods import Month, Quarter, local_date

RECENT_LIMIT = 10
PIN_MAX_DELAY_SECONDS = 15 * 60
# What `cards.services.cards.new_qr_token` makes (token_urlsafe), with room for longer tokens.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Looked up in place of a malformed token: the same query runs, and it can never match.
_NEVER_A_TOKEN = "~" * 24


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
    """This month's top-up: for which month, the day it came, how much."""

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


def balance_view(
    session: Session,
    card: Card,
    *,
    at: datetime,
    settings: Settings,
    allowance: ClothingAllowance | None,
) -> BalanceView:
    """What the balance page shows for `card` at the instant `at` (days in store time)."""
    tz = settings.tz
    account_id = card.account_id
    person = card.account.beneficiary
    today = local_date(at, tz)
    month = Month.of(at, tz)
    credit = _month_credit(session, account_id, month, tz=tz)
    last = statement.last_topup(session, account_id)
    recent = [
        _movement(line, tz) for line in statement.recent_entries(session, account_id, RECENT_LIMIT)
    ]
    try:
        clothing: ClothingStatus | None = clothing_status(
            session, person.id, at, tz=tz, allowance=allowance
        )
    except DomainError:
        clothing = None
    clothing_next = None
    if clothing is not None and clothing.allowed > 0 and clothing.used >= clothing.allowed:
        clothing_next = clothing.next_available or Quarter.of(at, tz).next().first_day
    store = settings.store
    return BalanceView(
        holder=mask_name(person.name),
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
        next_topup=next_topup_date(
            today, settings.allowance.topup_day, _credited_through(session, account_id, month)
        )
        if person.status == "active"
        else None,
        store={
            "name": store.name,
            "address": store.address,
            "hours": store.hours,
            "phone": store.phone,
        },
    )


def next_topup_date(today: date, topup_day: int, credited_through: Month | None) -> date:
    """The `topup_day` of the first month from this one whose credit has not come:
    `credited_through` is the latest month already credited (None: not even this one). While
    this month's credit has not come it is this month's day (even if the day has passed: the
    bureau is late, it is still the next one); once this month's, or a later month's (a run
    posted ahead), is in, it is the month after that. A day past the month's end is its last
    day (topup_day 31 -> 30 November)."""
    month = Month.of_date(today)
    if credited_through is not None and credited_through >= month:
        month = credited_through.next()
    return min(month.first_day + timedelta(days=topup_day - 1), month.last_day)


def _credited_through(session: Session, account_id: int, month: Month) -> Month | None:
    """The latest month, from `month` on, whose top-up the account has received."""
    latest = session.scalar(
        select(func.max(LedgerTransaction.period))
        .join(Posting, Posting.txn_id == LedgerTransaction.id)
        .where(
            Posting.account_id == account_id,
            LedgerTransaction.kind == "topup",
            LedgerTransaction.period >= str(month),
        )
    )
    return Month.parse(latest) if latest else None


def _movement(line: statement.LedgerLine, tz: tzinfo) -> Movement:
    return Movement(at=line.at, day=local_date(line.at, tz), label=line.label, amount=line.amount)


def _month_credit(
    session: Session, account_id: int, month: Month, *, tz: tzinfo
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
    return MonthCredit(month=month, day=local_date(row[0], tz), amount=Money(row[1]))


# --- finding the card ------------------------------------------------------------------------


def card_for_token(session: Session, token: str) -> Card | None:
    """The active card behind `token`, else None, along one path: a malformed token is looked
    up as a value that cannot match, so every miss costs the same indexed query; the stored
    token is compared again in constant time (a case-insensitive collation cannot let a
    look-alike through)."""
    probe = token if _TOKEN.fullmatch(token) else _NEVER_A_TOKEN
    card = card_by_token(session, probe)
    if card is None or not hmac.compare_digest(card.qr_token.encode(), probe.encode()):
        return None
    return card


def card_for_scan(session: Session, code: str) -> Card | None:
    """The kiosk's scan: a card number typed by the wedge scanner, or the QR code's URL (or
    its bare token). Only active cards."""
    text = normalise_text(code)
    if not text:
        return None
    if text.isdigit():
        if not luhn.is_valid(text):  # a misread scan: no query at all
            return None
        return session.scalar(select(Card).where(Card.card_no == text, Card.status == "active"))
    path = urlsplit(text).path if "/" in text else f"/b/{text}"
    match = re.search(r"/b/([^/?#]+)", path)
    return card_for_token(session, match.group(1)) if match else None


# --- the optional PIN (last four digits of the registered phone) ------------------------------


def phone_tail(phone: str) -> str | None:
    """The last four digits of a phone number, or None when it has fewer than four."""
    digits = "".join(c for c in normalise_text(phone) if c.isdigit())
    return digits[-4:] if len(digits) >= 4 else None


def phone_pin_matches(given: str, expected_index: str, *, cipher: FieldCipher) -> bool:
    """The typed PIN (four digits, full-width and spaces allowed) against the blind index of
    the registered phone's last four digits (the phone itself stays encrypted), in constant
    time."""
    typed = normalise_text(given)
    if len(typed) != 4 or not typed.isdigit():
        return False
    return hmac.compare_digest(personal.pin_index(cipher, typed), expected_index)


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
            delay = min(1 << (failures - 1), PIN_MAX_DELAY_SECONDS)
            self._state[card_id] = (failures, at + timedelta(seconds=delay))
        return delay

    def failures(self, card_id: int) -> int:
        with self._lock:
            entry = self._state.get(card_id)
        return entry[0] if entry is not None else 0

    def cleared(self, card_id: int) -> None:
        with self._lock:
            self._state.pop(card_id, None)
