"""People on the bureau's roster: finding them (by the blind indexes of their numbers, never by
decrypting), their dated status history, their proxy collectors (代领人) and their one account."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from cards.models import Account, Beneficiary, Card, Proxy, StatusChange
from cards.services import personal
from cards.services.text import mask_id_number, mask_name, normalise_id_number, normalise_text
from core import audit
from core.auth import Actor
from core.crypto import FieldCipher
from core.errors import Conflict, NotFound, ValidationError
from core.keys import DataKeys
from core.periods import local_date

STATUS_LABELS = {"active": "正常", "suspended": "暂停", "exited": "退出"}


def find_beneficiary(session: Session, id_number: str, *, keys: DataKeys) -> Beneficiary:
    """The person with this ID number, or NotFound (the number is normalised first and found
    by its blind index)."""
    number = normalise_id_number(id_number)
    index = personal.id_index(FieldCipher(keys), number)
    person = session.scalar(select(Beneficiary).where(Beneficiary.id_number_index == index))
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
    keys: DataKeys,
    reason: str,
    at: datetime,
    tz: tzinfo,
    actor: Actor,
    address: str = "",
) -> StatusChange:
    """Change the status of the person with this ID number (see `change_status`)."""
    if status not in STATUS_LABELS:
        raise ValidationError(f"状态 {status!r} 无效，可选：active、suspended、exited")
    person = find_beneficiary(session, id_number, keys=keys)
    return change_status(
        session, person, status, reason=reason, at=at, tz=tz, actor=actor, address=address
    )


def change_status(
    session: Session,
    person: Beneficiary,
    status: str,
    *,
    reason: str,
    at: datetime,
    tz: tzinfo,
    actor: Actor,
    address: str = "",
) -> StatusChange:
    """Change one person's status (active, suspended, exited), with a history entry dated in
    store time and a `status_change` audit event."""
    if status not in STATUS_LABELS:
        raise ValidationError(f"状态 {status!r} 无效，可选：active、suspended、exited")
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写状态变更的原因")
    if person.status == status:
        raise Conflict(f"{person.name} 的状态已经是“{STATUS_LABELS[status]}”，无需变更")
    before = person.status
    change = record_status(session, person, status, reason=reason, at=at, tz=tz, actor=actor)
    audit.record(
        session,
        "status_change",
        actor=actor,
        at=at,
        subject=f"beneficiary:{person.id}",
        detail={"name": mask_name(person.name), "from": before, "to": status, "reason": reason},
        address=address,
    )
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
    keys: DataKeys,
    name: str,
    relation: str,
    phone: str,
    at: datetime,
    actor: Actor,
) -> Proxy:
    """Register a proxy collector (代领人) who may shop for the person (the phone encrypted)."""
    name = name.strip()
    if not name:
        raise ValidationError("请填写代领人姓名")
    if len(name) > 64:
        raise ValidationError("代领人姓名太长（最多 64 个字）")
    if len(relation.strip()) > 32:
        raise ValidationError("代领人关系太长（最多 32 个字）")
    if len(normalise_text(phone).replace("-", "")) > 32:
        raise ValidationError("代领人电话太长（最多 32 位）")
    get_beneficiary(session, beneficiary_id)
    proxy = Proxy(
        beneficiary_id=beneficiary_id,
        name=name,
        relation=relation.strip(),
        **personal.proxy_phone_columns(FieldCipher(keys), phone),
        created_at=at,
        actor_id=actor.user_id,
        actor_name=actor.name,
    )
    session.add(proxy)
    session.flush()
    return proxy


_MASKED = re.compile(r"([0-9]{4})\*+([0-9]{3}[0-9X])")
_NAME_AND_LAST4 = re.compile(r"(\D+?)([0-9]{3}[0-9X])")


def search_people(
    session: Session, query: str, *, keys: DataKeys, limit: int = 50
) -> list[Beneficiary]:
    """By name (part), full ID number, masked ID number (its first and last four), the last
    four of the ID number or phone, a name followed by those four ('张三1234', the cashier's
    lookup), a full phone, or a card number. Numbers are compared by their blind indexes."""
    plain = normalise_text(query)
    text = plain.upper()
    if not text:
        return list(
            session.scalars(select(Beneficiary).order_by(Beneficiary.id.desc()).limit(limit))
        )
    cipher = FieldCipher(keys)
    conditions = [Beneficiary.name.contains(plain, autoescape=True)]
    if len(text) == 18:
        conditions.append(Beneficiary.id_number_index == personal.id_index(cipher, text))
    if re.fullmatch(r"[0-9]{3}[0-9X]", text):
        conditions.append(_ends_with(cipher, text))
    named = _NAME_AND_LAST4.fullmatch(text)
    if named:
        conditions.append(
            Beneficiary.name.contains(plain[: named.end(1)], autoescape=True)
            & _ends_with(cipher, named.group(2))
        )
    if text.isdigit() and 7 <= len(text) <= 13:
        conditions.append(Beneficiary.phone_index == personal.phone_index(cipher, text))
    if text.isdigit() and len(text) == 16:
        card_owner = (
            select(Account.beneficiary_id)
            .join(Card, Card.account_id == Account.id)
            .where(Card.card_no == text)
        )
        conditions.append(Beneficiary.id.in_(card_owner))
    masked = _MASKED.fullmatch(text)
    if masked:
        id_last4, _ = personal.last4_indexes(cipher, masked.group(2))
        candidates = session.scalars(
            select(Beneficiary).where(Beneficiary.id_last4_index == id_last4).limit(1000)
        ).all()
        wanted = [
            p.id for p in candidates if personal.id_number_of(cipher, p).startswith(masked.group(1))
        ]
        conditions.append(Beneficiary.id.in_(wanted))
    return list(
        session.scalars(
            select(Beneficiary).where(or_(*conditions)).order_by(Beneficiary.name).limit(limit)
        )
    )


def find_by_name_and_last4(
    session: Session, name: str, last4: str, *, keys: DataKeys, limit: int = 20
) -> list[Beneficiary]:
    """People whose name contains `name` and whose ID number or phone ends in `last4` (the
    cashier's lookup of someone without a card in hand), by the blind indexes."""
    text = normalise_id_number(last4)
    if not re.fullmatch(r"[0-9]{3}[0-9X]", text):
        raise ValidationError(f"请输入身份证号或手机号的后四位（收到“{last4.strip()}”）")
    wanted = normalise_text(name)
    if not wanted:
        raise ValidationError("请输入姓名")
    return list(
        session.scalars(
            select(Beneficiary)
            .where(
                Beneficiary.name.contains(wanted, autoescape=True),
                _ends_with(FieldCipher(keys), text),
            )
            .order_by(Beneficiary.name, Beneficiary.id)
            .limit(limit)
        )
    )


def _ends_with(cipher: FieldCipher, last4: str) -> ColumnElement[bool]:
    id_last4, phone_last4 = personal.last4_indexes(cipher, last4)
    return or_(Beneficiary.id_last4_index == id_last4, Beneficiary.phone_last4_index == phone_last4)


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
