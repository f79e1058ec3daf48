"""The roster's personal data as it is stored and shown.

Stored: the resident ID number and the phones encrypted (`core.crypto.FieldCipher`: AES-GCM,
a nonce per value, the key id in front), never in clear. Found: by blind indexes (keyed HMACs)
of the normalised ID number (unique: duplicates are refused by the database), of its last four
characters, of the phone and of the phone's last four digits (the cashier's lookup: a name plus
the last four of the ID number or phone). Names stay in clear: they are searched by part, and the
issue of record ([11]) encrypts numbers, not names. Shown: masked everywhere; one person's
numbers are revealed only on the bureau's request, and each reveal is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cards.models import Beneficiary, Proxy
from cards.services import chain
from cards.services.text import (
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    normalise_text,
)
from core import audit
from core.auth import Actor
from core.crypto import FieldCipher, key_id_of
from core.keys import DataKeys

# Associated data of each encrypted column: a ciphertext copied into another column fails.
ID_NUMBER_FIELD = "beneficiary.id_number"
PHONE_FIELD = "beneficiary.phone"
PROXY_PHONE_FIELD = "beneficiary_proxy.phone"

# Labels of the blind indexes. Never change one: the stored indexes would stop matching.
ID_INDEX = "id_number"
ID_LAST4 = "id_last4"
PHONE_INDEX = "phone"
PHONE_LAST4 = "phone_last4"

_BATCH = 2000


def normalise_phone(phone: str) -> str:
    """A phone as stored: full-width to ASCII, no spaces or dashes, at most 32 characters."""
    return normalise_text(phone).replace("-", "")[:32]


def phone_digits(phone: str) -> str:
    """The digits of a phone number, in order."""
    return "".join(c for c in normalise_text(phone) if c.isdigit())


def last_four(text: str) -> str:
    """The last four characters, or '' when there are fewer (nothing worth indexing)."""
    return text[-4:] if len(text) >= 4 else ""


# --- the stored columns ---------------------------------------------------------------------


def id_columns(cipher: FieldCipher, id_number: str) -> dict[str, str]:
    """The beneficiary columns that hold one (valid) ID number."""
    number = normalise_id_number(id_number)
    return {
        "id_number_cipher": cipher.encrypt(number, field=ID_NUMBER_FIELD),
        "id_number_index": cipher.index(ID_INDEX, number),
        "id_last4_index": cipher.index(ID_LAST4, last_four(number)),
    }


def phone_columns(cipher: FieldCipher, phone: str) -> dict[str, str]:
    """The beneficiary columns that hold a phone ('' everywhere when there is none)."""
    text = normalise_phone(phone)
    return {
        "phone_cipher": cipher.encrypt(text, field=PHONE_FIELD),
        "phone_index": cipher.index(PHONE_INDEX, text),
        "phone_last4_index": cipher.index(PHONE_LAST4, last_four(phone_digits(text))),
    }


def proxy_phone_columns(cipher: FieldCipher, phone: str) -> dict[str, str]:
    """The proxy columns that hold a phone."""
    text = normalise_phone(phone)
    return {
        "phone_cipher": cipher.encrypt(text, field=PROXY_PHONE_FIELD),
        "phone_last4_index": cipher.index(PHONE_LAST4, last_four(phone_digits(text))),
    }


def id_index(cipher: FieldCipher, id_number: str) -> str:
    """The blind index that finds one ID number."""
    return cipher.index(ID_INDEX, normalise_id_number(id_number))


def phone_index(cipher: FieldCipher, phone: str) -> str:
    """The blind index that compares one phone (as `phone_columns` stores it)."""
    return cipher.index(PHONE_INDEX, normalise_phone(phone))


def last4_indexes(cipher: FieldCipher, last4: str) -> tuple[str, str]:
    """The indexes of four trailing characters as an ID number's and as a phone's ending."""
    text = normalise_id_number(last4)
    return cipher.index(ID_LAST4, text), cipher.index(PHONE_LAST4, text)


def pin_index(cipher: FieldCipher, typed: str) -> str:
    """What a typed balance-page PIN (the phone's last four digits) is compared by."""
    return cipher.index(PHONE_LAST4, last_four(phone_digits(typed)))


# --- reading and showing ---------------------------------------------------------------------


def id_number_of(cipher: FieldCipher, person: Beneficiary) -> str:
    """The person's full ID number (decrypted: only where it is shown or exported)."""
    return cipher.decrypt(person.id_number_cipher, field=ID_NUMBER_FIELD)


def phone_of(cipher: FieldCipher, person: Beneficiary) -> str:
    """The person's phone ('' when none)."""
    return cipher.decrypt(person.phone_cipher, field=PHONE_FIELD)


def proxy_phone_of(cipher: FieldCipher, proxy: Proxy) -> str:
    return cipher.decrypt(proxy.phone_cipher, field=PROXY_PHONE_FIELD)


def masked_id(cipher: FieldCipher, person: Beneficiary) -> str:
    """'4101**********1234'."""
    return mask_id_number(id_number_of(cipher, person))


@dataclass(frozen=True)
class Shown:
    """A person's numbers as a page shows them: masked, or revealed (then `revealed` is set)."""

    id_number: str
    phone: str
    proxy_phones: dict[int, str]
    revealed: bool = False


def shown(cipher: FieldCipher, person: Beneficiary) -> Shown:
    """The person's ID number and phones, masked."""
    return Shown(
        id_number=masked_id(cipher, person),
        phone=mask_phone(phone_of(cipher, person)),
        proxy_phones={p.id: mask_phone(proxy_phone_of(cipher, p)) for p in person.proxies},
    )


def reveal(
    session: Session,
    person: Beneficiary,
    *,
    keys: DataKeys,
    actor: Actor,
    at: datetime,
    address: str,
) -> Shown:
    """The person's full ID number and phones, on the bureau's request: logged (`id_reveal`,
    who, when, from where, whose) in the caller's transaction."""
    cipher = FieldCipher(keys)
    numbers = Shown(
        id_number=id_number_of(cipher, person),
        phone=phone_of(cipher, person),
        proxy_phones={p.id: proxy_phone_of(cipher, p) for p in person.proxies},
        revealed=True,
    )
    audit.record(
        session,
        "id_reveal",
        actor=actor,
        at=at,
        subject=f"beneficiary:{person.id}",
        detail={
            "name": mask_name(person.name),
            "id_number": mask_id_number(numbers.id_number),
            "fields": ["id_number", "phone"] + (["proxy_phones"] if person.proxies else []),
        },
        address=address,
    )
    session.flush()
    return numbers


# --- a new key ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    """What `rotate_keys` re-encrypted."""

    people: int
    proxies: int
    already: int  # rows found already under the new key (a rotation run again)
    ledger_txns: int = 0  # ledger transactions re-hashed under the new key


def rotate_keys(
    session: Session, *, old: DataKeys, new: DataKeys, actor: Actor, at: datetime
) -> Rotation:
    """Re-encrypt and re-index every person's ID number and phone and every proxy's phone under
    `new`, and re-key the ledger's hash chains, in the caller's transaction (all or nothing).
    Values already under `new` are left as they are; a value under any other key than `old`,
    or a chain that does not hold under `old`, refuses the whole rotation."""
    rekeyed = chain.rekey(session, old=old, new=new)
    before, after = FieldCipher(old), FieldCipher(new)
    people = proxies = already = 0
    rows = session.execute(
        select(Beneficiary.id, Beneficiary.id_number_cipher, Beneficiary.phone_cipher)
    ).all()
    batch: list[dict[str, object]] = []
    for person_id, id_cipher, phone_cipher in rows:
        if key_id_of(id_cipher) == after.key_id and key_id_of(phone_cipher) in ("", after.key_id):
            already += 1
            continue
        number = _decrypt(before, after, id_cipher, ID_NUMBER_FIELD)
        phone = _decrypt(before, after, phone_cipher, PHONE_FIELD)
        batch.append({"id": person_id, **id_columns(after, number), **phone_columns(after, phone)})
        people += 1
        if len(batch) >= _BATCH:
            session.execute(update(Beneficiary), batch)
            batch = []
    if batch:
        session.execute(update(Beneficiary), batch)
    proxy_rows = session.execute(
        select(Proxy.id, Proxy.phone_cipher).where(Proxy.phone_cipher != "")
    ).all()
    updates = []
    for proxy_id, phone_cipher in proxy_rows:
        if key_id_of(phone_cipher) == after.key_id:
            already += 1
            continue
        phone = _decrypt(before, after, phone_cipher, PROXY_PHONE_FIELD)
        updates.append({"id": proxy_id, **proxy_phone_columns(after, phone)})
    for start in range(0, len(updates), _BATCH):
        session.execute(update(Proxy), updates[start : start + _BATCH])
    proxies = len(updates)
    audit.record(
        session,
        "key_rotate",
        actor=actor,
        at=at,
        subject="data_key",
        detail={
            "from": old.key_id,
            "to": new.key_id,
            "people": people,
            "proxies": proxies,
            "ledger_txns": rekeyed.transactions,
        },
    )
    session.flush()
    session.expire_all()
    return Rotation(
        people=people, proxies=proxies, already=already, ledger_txns=rekeyed.transactions
    )


def _decrypt(before: FieldCipher, after: FieldCipher, token: str, field: str) -> str:
    return (after if key_id_of(token) == after.key_id else before).decrypt(token, field=field)
