"""Cards: numbers (16 digits with a Luhn check digit) and QR tokens, issue, freeze (lost),
unfreeze (found), replacement on the same account, and which card may pay. Every change of a
card's status is a history row (`CardStatusChange`) and an audit event, in the same
transaction."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import luhn

from cards.models import Account, Beneficiary, Card, CardStatusChange
from cards.services import personal
from cards.services.beneficiaries import STATUS_LABELS, ensure_account
from cards.services.text import mask_name, normalise_text
from core import audit
from core.auth import Actor
from core.crypto import FieldCipher
from core.errors import BeneficiaryInactive, CardFrozen, Conflict, UnknownCard, ValidationError
from core.keys import DataKeys


class CardEntry(NamedTuple):
    """One line of `charity cards list`."""

    card_no: str
    id_number: str
    name: str
    category: str
    status: str
    balance_fen: int
    qr_token: str


CARD_STATUS_LABELS = {"active": "正常", "frozen": "已挂失/冻结", "closed": "已注销"}
CARD_NO_PREFIX = "86"
CARD_NO_LENGTH = 16


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


def issue_card(
    session: Session, person: Beneficiary, *, at: datetime, actor: Actor, address: str = ""
) -> Card:
    """Issue a card to an active person who has no usable (active or frozen) card."""
    if person.status != "active":
        raise BeneficiaryInactive(f"{person.name} 的状态为{STATUS_LABELS[person.status]}，不能发卡")
    account = ensure_account(session, person, at=at)
    if current_card(session, account.id) is not None:
        raise Conflict(f"{person.name} 已有卡，如遗失请挂失后补卡")
    card = _new_card(session, account.id, at=at, actor=actor)
    session.flush()
    _history(session, card, None, "发卡", at=at, actor=actor)
    _audit(session, "card_issue", card, person, at=at, actor=actor, address=address)
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


def freeze_card(
    session: Session,
    card_no: str,
    *,
    reason: str,
    at: datetime,
    actor: Actor,
    address: str = "",
) -> Card:
    """Report a card lost (or hold it): no terminal accepts it from then on."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写挂失/冻结原因")
    card = find_card(session, card_no)
    if card.status != "active":
        raise Conflict(f"卡 {card.card_no} {CARD_STATUS_LABELS[card.status]}，无需再冻结")
    _set_card_status(session, card, "frozen", reason, at=at, actor=actor)
    _audit(
        session,
        "card_freeze",
        card,
        card.account.beneficiary,
        at=at,
        actor=actor,
        address=address,
        reason=reason,
    )
    session.flush()
    return card


def unfreeze_card(
    session: Session,
    card_no: str,
    *,
    reason: str,
    at: datetime,
    actor: Actor,
    address: str = "",
) -> Card:
    """A frozen card found again: it pays again (if its account has no other active card)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写解除挂失的原因")
    card = find_card(session, card_no)
    if card.status != "frozen":
        raise Conflict(f"卡 {card.card_no} {CARD_STATUS_LABELS[card.status]}，不是挂失状态")
    if current_card(session, card.account_id) not in (None, card):
        raise Conflict(f"此账户已有另一张正常使用的卡，卡 {card.card_no} 不能再启用")
    person = card.account.beneficiary
    if person.status == "exited":
        raise BeneficiaryInactive(f"{person.name} 已退出救助，不能启用此卡")
    _set_card_status(session, card, "active", reason, at=at, actor=actor)
    _audit(
        session,
        "card_unfreeze",
        card,
        person,
        at=at,
        actor=actor,
        address=address,
        reason=reason,
    )
    session.flush()
    return card


def replace_card(
    session: Session,
    card_no: str,
    *,
    at: datetime,
    actor: Actor,
    reason: str = "补卡",
    address: str = "",
) -> Card:
    """A new card (new number, new QR token) on the same account; the old one is closed."""
    old = find_card(session, card_no)
    if old.status == "closed":
        raise Conflict(f"卡 {old.card_no} 已注销，不能再补卡")
    person = old.account.beneficiary
    if person.status == "exited":
        raise BeneficiaryInactive(f"{person.name} 已退出救助，不能补卡")
    _set_card_status(session, old, "closed", reason, at=at, actor=actor)
    session.flush()  # the old card stops being active before the new one is
    new = _new_card(session, old.account_id, at=at, actor=actor)
    session.flush()
    old.replaced_by_id = new.id
    _history(session, new, None, f"补卡（旧卡 {old.card_no}）", at=at, actor=actor)
    _audit(
        session,
        "card_replace",
        new,
        person,
        at=at,
        actor=actor,
        address=address,
        reason=reason,
        old_card=old.card_no,
    )
    session.flush()
    return new


def _new_card(session: Session, account_id: int, *, at: datetime, actor: Actor) -> Card:
    card = Card(
        card_no=new_card_no(session),
        qr_token=new_qr_token(),
        status="active",
        account_id=account_id,
        issued_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(card)
    return card


def _set_card_status(
    session: Session, card: Card, status: str, reason: str, *, at: datetime, actor: Actor
) -> None:
    """The card's current state, and a history row of the change (the previous one kept)."""
    _history(session, card, card.status, reason, at=at, actor=actor, to=status)
    card.status = status
    card.status_reason = reason
    card.status_changed_at = at
    card.actor_id = actor.user_id
    card.actor_name = actor.name


def _history(
    session: Session,
    card: Card,
    before: str | None,
    reason: str,
    *,
    at: datetime,
    actor: Actor,
    to: str = "active",
) -> None:
    session.add(
        CardStatusChange(
            card_id=card.id,
            from_status=before,
            to_status=to,
            reason=reason,
            at=at,
            actor_id=actor.user_id,
            actor_name=actor.name,
        )
    )


def _audit(
    session: Session,
    kind: str,
    card: Card,
    person: Beneficiary,
    *,
    at: datetime,
    actor: Actor,
    address: str,
    **detail: str,
) -> None:
    audit.record(
        session,
        kind,
        actor=actor,
        at=at,
        subject=f"card:{card.card_no}",
        detail={"holder": mask_name(person.name), "beneficiary_id": person.id, **detail},
        address=address,
    )


def card_history(session: Session, account_id: int) -> list[CardStatusChange]:
    """Every status change of the account's cards, oldest first."""
    return list(
        session.scalars(
            select(CardStatusChange)
            .join(Card, Card.id == CardStatusChange.card_id)
            .where(Card.account_id == account_id)
            .order_by(CardStatusChange.at, CardStatusChange.id)
        )
    )


def qr_url(base_url: str, token: str) -> str:
    """The balance page of a card's QR token."""
    return f"{base_url.rstrip('/')}/b/{token}"


def active_cards(session: Session, card_nos: list[str] | None, *, limit: int = 1000) -> list[Card]:
    """Active cards for the printable sheet: those numbers (normalised), or all when None."""
    query = select(Card).where(Card.status == "active").order_by(Card.id)
    if card_nos is not None:
        query = query.where(Card.card_no.in_([normalise_text(n) for n in card_nos]))
    return list(session.scalars(query.limit(limit)))


def card_register(session: Session, *, keys: DataKeys) -> list[CardEntry]:
    """Every card with its holder (full ID and name, decrypted: the bureau's own list, which
    the command line exports) and balance."""
    cipher = FieldCipher(keys)
    field = personal.ID_NUMBER_FIELD
    rows = session.execute(
        select(
            Card.card_no,
            Beneficiary.id_number_cipher,
            Beneficiary.name,
            Beneficiary.category,
            Card.status,
            Account.balance_fen,
            Card.qr_token,
        )
        .join(Account, Card.account_id == Account.id)
        .join(Beneficiary, Account.beneficiary_id == Beneficiary.id)
        .order_by(Card.id)
    )
    return [
        CardEntry(card_no, cipher.decrypt(token, field=field), *rest)
        for card_no, token, *rest in rows
    ]
