"""Domain rules of the cards package: people, their status history and proxies, accounts and
cards. Plain functions that take a session, flush, never commit. The roster import lives in
`cards.roster`, the ledger in `cards.ledger`, the monthly top-up in `cards.topup`."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from stdnum import luhn

from cards import ledger
from cards.models import Account, Beneficiary, Card, Proxy, StatusChange
from core.auth import Actor
from core.checks import CheckResult
from core.errors import (
    BeneficiaryInactive,
    CardFrozen,
    Conflict,
    NotFound,
    UnknownCard,
    ValidationError,
)
from core.periods import Quarter, local_date

STATUS_LABELS = {"active": "正常", "suspended": "暂停", "exited": "退出"}
CARD_STATUS_LABELS = {"active": "正常", "frozen": "已挂失/冻结", "closed": "已注销"}
CARD_NO_PREFIX = "86"
CARD_NO_LENGTH = 16
_DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


# --- masking ---------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """'张三云' -> '张*云', '张三' -> '张*', a single character unchanged."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(id_number: str) -> str:
    """'410108199001011234' -> '4101**********1234' (first four and last four kept)."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


# --- normalisation ---------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def normalise_text(value: str) -> str:
    """Full-width letters and digits to ASCII (NFKC), spaces removed."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value))


def normalise_id_number(value: str) -> str:
    """What real files contain: spaces, full-width digits, a lower-case x."""
    return normalise_text(value).upper()


# --- people ----------------------------------------------------------------------------------


def find_beneficiary(session: Session, id_number: str) -> Beneficiary:
    """The person with this ID number, or NotFound (the number is normalised first)."""
    number = normalise_id_number(id_number)
    person = session.scalar(select(Beneficiary).where(Beneficiary.id_number == number))
    if person is None:
        raise NotFound(f"名册中没有身份证号为 {mask_id_number(number)} 的救助对象")
    return person


def set_status(
    session: Session, id_number: str, status: str, *, reason: str, at: datetime, actor: Actor
) -> StatusChange:
    """Change one person's status (active, suspended, exited), with a dated history entry."""
    if status not in STATUS_LABELS:
        raise ValidationError(f"状态 {status!r} 无效，可选：active、suspended、exited")
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写状态变更的原因")
    person = find_beneficiary(session, id_number)
    if person.status == status:
        raise Conflict(f"{person.name} 的状态已经是“{STATUS_LABELS[status]}”，无需变更")
    change = record_status(session, person, status, reason=reason, at=at, actor=actor)
    session.flush()
    return change


def record_status(
    session: Session,
    person: Beneficiary,
    status: str,
    *,
    reason: str,
    at: datetime,
    actor: Actor,
    tz: ZoneInfo = _DEFAULT_TZ,
) -> StatusChange:
    """Set the status and append the history row (no checks; callers validate)."""
    change = StatusChange(
        beneficiary_id=person.id,
        from_status=person.status,
        to_status=status,
        reason=reason,
        effective_on=local_date(at, tz),
        at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    person.status = status
    person.updated_at = at
    person.actor_id = actor.user_id
    person.actor_name = actor.name
    session.add(change)
    return change


def add_proxy(
    session: Session,
    beneficiary_id: int,
    *,
    name: str,
    relation: str,
    phone: str,
    at: datetime,
    actor: Actor,
) -> Proxy:
    """Register a proxy collector (代领人) who may shop for the person."""
    name = name.strip()
    if not name:
        raise ValidationError("请填写代领人姓名")
    if session.get(Beneficiary, beneficiary_id) is None:
        raise NotFound("救助对象不存在")
    proxy = Proxy(
        beneficiary_id=beneficiary_id,
        name=name,
        relation=relation.strip(),
        phone=normalise_text(phone),
        created_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(proxy)
    session.flush()
    return proxy


def search_people(session: Session, query: str, *, limit: int = 50) -> list[Beneficiary]:
    """By name (part), full or masked ID number (its first and last four), or card number."""
    text = normalise_text(query)
    if not text:
        return list(
            session.scalars(select(Beneficiary).order_by(Beneficiary.id.desc()).limit(limit))
        )
    conditions = [Beneficiary.name.contains(text), Beneficiary.id_number == text.upper()]
    masked = re.fullmatch(r"([0-9]{4})\*+([0-9]{3}[0-9X])", text.upper())
    if masked:
        conditions.append(
            Beneficiary.id_number.startswith(masked.group(1))
            & Beneficiary.id_number.endswith(masked.group(2))
        )
    if text.isdigit() and len(text) >= 8:
        card_owner = (
            select(Account.beneficiary_id)
            .join(Card, Card.account_id == Account.id)
            .where(Card.card_no == text)
        )
        conditions.append(Beneficiary.id.in_(card_owner))
    return list(
        session.scalars(
            select(Beneficiary).where(or_(*conditions)).order_by(Beneficiary.name).limit(limit)
        )
    )


def ensure_account(session: Session, person: Beneficiary, *, at: datetime) -> Account:
    """The person's account (one per person), created with balance 0 if missing."""
    account = session.scalar(select(Account).where(Account.beneficiary_id == person.id))
    if account is None:
        account = Account(beneficiary_id=person.id, balance_fen=0, created_at=at)
        session.add(account)
        session.flush()
    return account


# --- cards -----------------------------------------------------------------------------------


def new_card_no(session: Session) -> str:
    """16 digits: the prefix, random digits, a Luhn check digit (a mistype is caught)."""
    while True:
        body = CARD_NO_PREFIX + "".join(
            str(secrets.randbelow(10)) for _ in range(CARD_NO_LENGTH - len(CARD_NO_PREFIX) - 1)
        )
        number = body + luhn.calc_check_digit(body)
        if session.scalar(select(Card.id).where(Card.card_no == number)) is None:
            return number


def new_qr_token() -> str:
    """144 random bits, URL-safe."""
    return secrets.token_urlsafe(18)


def check_card_no(card_no: str) -> str:
    """The normalised number, or UnknownCard saying it is mistyped."""
    number = normalise_text(card_no)
    if len(number) != CARD_NO_LENGTH or not number.isdigit() or not luhn.is_valid(number):
        raise UnknownCard(f"卡号 {card_no.strip()} 有误（位数或校验位不对），请核对后重新输入")
    return number


def find_card(session: Session, card_no: str) -> Card:
    """The card with this number; UnknownCard if mistyped or unknown."""
    number = check_card_no(card_no)
    card = session.scalar(select(Card).where(Card.card_no == number))
    if card is None:
        raise UnknownCard(f"卡号 {number} 不存在")
    return card


def card_for_payment(session: Session, card_no: str) -> Card:
    """A card that may pay: active, and its holder active."""
    card = find_card(session, card_no)
    if card.status != "active":
        raise CardFrozen(
            f"卡 {card.card_no} {CARD_STATUS_LABELS[card.status]}，不能使用"
            + (f"（{card.status_reason}）" if card.status_reason else "")
        )
    person = card.account.beneficiary
    if person.status != "active":
        raise BeneficiaryInactive(
            f"持卡人 {mask_name(person.name)} 的救助资格{STATUS_LABELS[person.status]}，不能用卡消费"
        )
    return card


def card_by_token(session: Session, token: str) -> Card | None:
    """The active card behind a QR token, else None."""
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Card).where(Card.qr_token == token, Card.status == "active"))


def current_card(session: Session, account_id: int) -> Card | None:
    """The account's active card, else its frozen one, else None."""
    cards = session.scalars(
        select(Card).where(Card.account_id == account_id, Card.status != "closed")
    ).all()
    for status in ("active", "frozen"):
        for card in cards:
            if card.status == status:
                return card
    return None


def issue_card(session: Session, person: Beneficiary, *, at: datetime, actor: Actor) -> Card:
    """Issue a card to an active person who has no usable (active or frozen) card."""
    if person.status != "active":
        raise BeneficiaryInactive(f"{person.name} 的状态为{STATUS_LABELS[person.status]}，不能发卡")
    account = ensure_account(session, person, at=at)
    if current_card(session, account.id) is not None:
        raise Conflict(f"{person.name} 已有卡，如遗失请挂失后补卡")
    card = Card(
        card_no=new_card_no(session),
        qr_token=new_qr_token(),
        status="active",
        account_id=account.id,
        issued_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(card)
    session.flush()
    return card


def issue_all(session: Session, *, at: datetime, actor: Actor) -> list[Card]:
    """A card for every active beneficiary who has none; returns the new cards."""
    has_card = (
        select(Account.beneficiary_id)
        .join(Card, Card.account_id == Account.id)
        .where(Card.status != "closed")
    )
    people = session.scalars(
        select(Beneficiary)
        .where(Beneficiary.status == "active", Beneficiary.id.not_in(has_card))
        .order_by(Beneficiary.id)
    ).all()
    return [issue_card(session, person, at=at, actor=actor) for person in people]


def freeze_card(session: Session, card_no: str, *, reason: str, at: datetime, actor: Actor) -> Card:
    """Report a card lost (or hold it): no terminal accepts it from then on."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写挂失/冻结原因")
    card = find_card(session, card_no)
    if card.status != "active":
        raise Conflict(f"卡 {card.card_no} {CARD_STATUS_LABELS[card.status]}，无需再冻结")
    _set_card_status(card, "frozen", reason, at=at, actor=actor)
    session.flush()
    return card


def replace_card(
    session: Session, card_no: str, *, at: datetime, actor: Actor, reason: str = "补卡"
) -> Card:
    """A new card (new number, new QR token) on the same account; the old one is closed."""
    old = find_card(session, card_no)
    if old.status == "closed":
        raise Conflict(f"卡 {old.card_no} 已注销，不能再补卡")
    person = old.account.beneficiary
    if person.status == "exited":
        raise BeneficiaryInactive(f"{person.name} 已退出救助，不能补卡")
    _set_card_status(old, "closed", reason, at=at, actor=actor)
    session.flush()  # the old card stops being active before the new one is
    new = Card(
        card_no=new_card_no(session),
        qr_token=new_qr_token(),
        status="active",
        account_id=old.account_id,
        issued_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(new)
    session.flush()
    old.replaced_by_id = new.id
    session.flush()
    return new


def _set_card_status(card: Card, status: str, reason: str, *, at: datetime, actor: Actor) -> None:
    card.status = status
    card.status_reason = reason
    card.status_changed_at = at
    card.actor_id = actor.user_id
    card.actor_name = actor.name


def qr_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/b/{token}"


def count_people(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Beneficiary.status, func.count()).group_by(Beneficiary.status)
    ).all()
    return {status: count for status, count in rows}


# --- clothing (a hook: cards must not import clothing_exchange) ------------------------------


@dataclass(frozen=True)
class ClothingStatus:
    quarter: str
    allowed: int
    used: int
    last_taken_at: datetime | None
    next_available: date | None


ClothingProvider = Callable[[Session, int, datetime], ClothingStatus]
_clothing_provider: ClothingProvider | None = None


def set_clothing_provider(fn: ClothingProvider | None) -> None:
    """The clothing package registers how to answer a person's quarter allowance."""
    global _clothing_provider
    _clothing_provider = fn


def clothing_status(session: Session, beneficiary_id: int, at: datetime) -> ClothingStatus:
    """The provider's answer, or nothing allowed and nothing used this quarter."""
    if _clothing_provider is not None:
        return _clothing_provider(session, beneficiary_id, at)
    return ClothingStatus(
        quarter=str(Quarter.of(at, _DEFAULT_TZ)),
        allowed=0,
        used=0,
        last_taken_at=None,
        next_available=None,
    )


# --- verification ----------------------------------------------------------------------------


def verify_ledger(session: Session) -> CheckResult:
    """Every cached balance equals the sum of its postings, every transaction sums to zero, the
    hash chain holds."""
    return ledger.verify(session)
