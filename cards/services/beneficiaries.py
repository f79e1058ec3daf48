"""People on the bureau's roster: finding them, their dated status history, their proxy
collectors (代领人) and their one account."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cards.models import Account, Beneficiary, Card, Proxy, StatusChange
from cards.services.text import mask_id_number, normalise_id_number, normalise_text
from core.auth import Actor
from core.errors import Conflict, NotFound, ValidationError
from core.periods import local_date

STATUS_LABELS = {"active": "正常", "suspended": "暂停", "exited": "退出"}


def find_beneficiary(session: Session, id_number: str) -> Beneficiary:
    """The person with this ID number, or NotFound (the number is normalised first)."""
    number = normalise_id_number(id_number)
    person = session.scalar(select(Beneficiary).where(Beneficiary.id_number == number))
    if person is None:
        raise NotFound(f"名册中没有身份证号为 {mask_id_number(number)} 的救助对象")
    return person


def get_beneficiary(session: Session, beneficiary_id: int) -> Beneficiary:
    """The person with this row id, or NotFound."""
    person = session.get(Beneficiary, beneficiary_id)
    if person is None:
        raise NotFound("救助对象不存在")
    return person


def set_status(
    session: Session,
    id_number: str,
    status: str,
    *,
    reason: str,
    at: datetime,
    tz: tzinfo,
    actor: Actor,
) -> StatusChange:
    """Change one person's status (active, suspended, exited), with a history entry dated in
    store time."""
    if status not in STATUS_LABELS:
        raise ValidationError(f"状态 {status!r} 无效，可选：active、suspended、exited")
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写状态变更的原因")
    person = find_beneficiary(session, id_number)
    if person.status == status:
        raise Conflict(f"{person.name} 的状态已经是“{STATUS_LABELS[status]}”，无需变更")
    change = record_status(session, person, status, reason=reason, at=at, tz=tz, actor=actor)
    session.flush()
    return change


def record_status(
    session: Session,
    person: Beneficiary,
    status: str,
    *,
    reason: str,
    at: datetime,
    tz: tzinfo,
    actor: Actor,
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
    get_beneficiary(session, beneficiary_id)
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


def count_people(session: Session) -> dict[str, int]:
    """How many people have each status."""
    rows = session.execute(
        select(Beneficiary.status, func.count()).group_by(Beneficiary.status)
    ).all()
    return {status: count for status, count in rows}
