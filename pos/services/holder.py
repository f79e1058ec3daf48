"""A card as the counter sees it: the masked holder, the balance, the quarter's clothing and the
proxies who may shop for the holder; found by the card number or by the balance page's QR code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy.orm import Session

from cards.hooks import ClothingAllowance, ClothingStatus
from cards.models import Card, Proxy
from cards.services import ledger
from cards.services.cards import card_by_token, card_for_payment
from cards.services.text import mask_name
from core.errors import UnknownCard
from core.money import Money
from core.periods import Quarter


@dataclass(frozen=True)
class CardHolder:
    card: Card
    holder: str  # masked: 张*云
    balance: Money
    clothing: ClothingStatus
    proxies: tuple[Proxy, ...]


def clothing_status(
    session: Session,
    beneficiary_id: int,
    at: datetime,
    *,
    allowance: ClothingAllowance | None,
    tz: tzinfo,
) -> ClothingStatus:
    """The holder's clothing this quarter; without an allowance, nothing allowed and nothing
    used."""
    if allowance is not None:
        return allowance(session, beneficiary_id, at)
    return ClothingStatus(
        quarter=str(Quarter.of(at, tz)),
        allowed=0,
        used=0,
        last_taken_at=None,
        next_available=None,
    )


def card_holder(
    session: Session,
    card: Card,
    *,
    at: datetime,
    allowance: ClothingAllowance | None,
    tz: tzinfo,
) -> CardHolder:
    """What the terminal shows once a card is swiped."""
    person = card.account.beneficiary
    return CardHolder(
        card=card,
        holder=mask_name(person.name),
        balance=ledger.balance(session, card.account_id),
        clothing=clothing_status(session, person.id, at, allowance=allowance, tz=tz),
        proxies=tuple(person.proxies),
    )


def card_to_pay_by_qr(session: Session, token: str) -> Card:
    """A card that may pay now, by the token of its balance page's QR code (a phone's screen)."""
    card = card_by_token(session, token)
    if card is None:
        raise UnknownCard("二维码无效或卡已挂失、更换：请输入卡面上的 16 位卡号")
    return card_for_payment(session, card.card_no)
