"""A card the counter may take, found by the token of its balance page's QR code (a phone's
screen). How a card is described is the cards package's (`cards.schemas.CardAnswer`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cards.models import Card
from cards.services.cards import card_by_token, card_for_payment
from core.errors import UnknownCard


def card_to_pay_by_qr(session: Session, token: str) -> Card:
    """A card that may pay now, by the token of its balance page's QR code (a phone's screen)."""
    card = card_by_token(session, token)
    if card is None:
        raise UnknownCard("二维码无效或卡已挂失、更换：请输入卡面上的 16 位卡号")
    return card_for_payment(session, card.card_no)
