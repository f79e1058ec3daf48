"""The cashier's lookup of a holder who forgot the card: a name and the last four digits of the
ID number or the phone (`张三 1234`), found by the blind indexes, answered masked, at most five,
and every lookup in the audit trail (it is a search of personal data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cards.models import Card
from cards.services.beneficiaries import find_by_name_and_last4
from cards.services.cards import current_card
from cards.services.text import mask_name
from core import audit
from core.auth import Actor
from core.errors import ValidationError
from core.keys import DataKeys

MAX_RESULTS = 5

_QUERY = re.compile(r"^(?P<name>.*?)[\s,，]*(?P<last4>[0-9]{3}[0-9Xx])$")


@dataclass(frozen=True)
class LookupQuery:
    name: str
    last4: str


def parse_query(text: str) -> LookupQuery:
    """`张三 1234` (or `张三1234`, `1234 张三`) into its name and last four digits; ValidationError
    naming what is missing when either part is."""
    plain = " ".join((text or "").split())
    found = _QUERY.match(plain)
    if found is None:
        swapped = re.match(r"^(?P<last4>[0-9]{3}[0-9Xx])[\s,，]+(?P<name>.+)$", plain)
        found = swapped
    name = found.group("name").strip() if found else ""
    if found is None or not name or re.search(r"[0-9]", name):
        raise ValidationError(
            f"查找持卡人需要姓名和身份证号或手机号的后四位，如“张三 1234”（收到“{plain}”）"
        )
    return LookupQuery(name=name, last4=found.group("last4").upper())


def lookup_cards(
    session: Session,
    text: str,
    *,
    keys: DataKeys,
    at: datetime,
    actor: Actor,
    address: str = "",
    engine: Engine | None = None,
) -> list[Card]:
    """The cards (active, else frozen) of at most five people matching `text`, logged as a
    `card_lookup` event with the masked name asked for and how many were found: in `session`
    (flushes only), or, given the `engine`, in a transaction of its own (a GET's session only
    reads: on SQLite a read transaction cannot become a writer once another one has written)."""
    query = parse_query(text)
    people = find_by_name_and_last4(
        session, query.name, query.last4, keys=keys, limit=MAX_RESULTS * 2
    )
    found: list[Card] = []
    for person in people:
        account = person.account
        card = current_card(session, account.id) if account is not None else None
        if card is not None:
            found.append(card)
        if len(found) == MAX_RESULTS:
            break
    subject, detail = mask_name(query.name), {"found": len(found)}
    if engine is None:
        audit.record(
            session,
            "card_lookup",
            actor=actor,
            at=at,
            subject=subject,
            detail=detail,
            address=address,
        )
    else:
        audit.record_now(
            engine,
            "card_lookup",
            actor=actor,
            at=at,
            subject=subject,
            detail=detail,
            address=address,
        )
    return found
