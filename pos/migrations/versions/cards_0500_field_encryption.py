"""cards: resident ID numbers and phones encrypted at rest, found by blind indexes

Revision ID: cards_0500_field_encryption
Revises: cards_0200
Create Date: 2026-12-02

`beneficiary.id_number` and `beneficiary.phone`, and `beneficiary_proxy.phone`, give way to
AES-GCM ciphertexts (`*_cipher`, each with its own nonce and the key id in front) and HMAC blind
indexes (`id_number_index` unique, `id_last4_index`, `phone_index`, `phone_last4_index`).

The key never is in the database, so this migration cannot find it by itself: `charity init`
(and `charity serve --demo`) hand it in through the Alembic config's attributes
(`data_keys`, a callable returning `core.keys.DataKeys`), and only when there are rows to
encrypt is it asked for. Without a key, a database holding people refuses to upgrade with one
Chinese line (nothing is changed). Afterwards the caller removes the freed pages that still
hold the old plaintext (`core.db_migrations.scrub_freed_space`: VACUUM, and the WAL emptied).
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from core.crypto import FieldCipher
from core.keys import DataKeyError, DataKeys

revision: str = "cards_0500_field_encryption"
down_revision: str | Sequence[str] | None = "cards_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As cards.services.personal has them (copied: a migration does not follow later code).
_ID = "beneficiary.id_number"
_PHONE = "beneficiary.phone"
_PROXY_PHONE = "beneficiary_proxy.phone"


def _phone(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).replace("-", "")[:32]


def _last4(text: str) -> str:
    return text[-4:] if len(text) >= 4 else ""


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _attributes() -> dict[str, Any]:
    config = op.get_context().config
    return config.attributes if config is not None else {}


def _cipher(people: int, proxies: int) -> FieldCipher:
    provider: Callable[[], DataKeys] | None = _attributes().get("data_keys")
    what = f"数据库中有 {people} 名救助对象、{proxies} 名代领人的身份证号与电话尚未加密"
    if provider is None:
        raise DataKeyError(f"{what}，需要数据密钥才能加密：请用 charity init 升级数据库")
    try:
        keys = provider()
    except DataKeyError as exc:
        raise DataKeyError(f"{what}，升级前必须设置数据密钥（未做任何改动）：{exc}") from None
    return FieldCipher(keys)


def upgrade() -> None:
    bind = op.get_bind()
    people = bind.execute(sa.text("SELECT id, id_number, phone FROM beneficiary")).all()
    proxies = bind.execute(
        sa.text("SELECT id, phone FROM beneficiary_proxy WHERE phone <> ''")
    ).all()
    cipher = _cipher(len(people), len(proxies)) if people or proxies else None

    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        for name, length in (
            ("id_number_cipher", 128),
            ("id_number_index", 32),
            ("id_last4_index", 32),
            ("phone_cipher", 128),
            ("phone_index", 32),
            ("phone_last4_index", 32),
        ):
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    with op.batch_alter_table("beneficiary_proxy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_cipher", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("phone_last4_index", sa.String(length=32), nullable=True))

    if cipher is not None:
        _encrypt(bind, cipher, people, proxies)
        attributes = _attributes()
        attributes["plaintext_removed"] = [
            *attributes.get("plaintext_removed", []),
            "beneficiary",
            "beneficiary_proxy",
        ]
        attributes.setdefault("notes", []).append(
            f"已加密 {len(people)} 名救助对象的身份证号与电话、{len(proxies)} 名代领人的电话"
            f"（密钥编号 {cipher.key_id}），明文已清除"
        )

    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        batch_op.drop_constraint("uq_beneficiary_id_number", type_="unique")
        batch_op.drop_column("id_number")
        batch_op.drop_column("phone")
        for name, length in (
            ("id_number_cipher", 128),
            ("id_number_index", 32),
            ("id_last4_index", 32),
            ("phone_cipher", 128),
            ("phone_index", 32),
            ("phone_last4_index", 32),
        ):
            batch_op.alter_column(
                name, existing_type=sa.String(length=length), nullable=False
            )
        batch_op.create_unique_constraint(
            batch_op.f("uq_beneficiary_id_number_index"), ["id_number_index"]
        )
        batch_op.create_index(
            batch_op.f("ix_beneficiary_id_last4_index"), ["id_last4_index"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_beneficiary_phone_last4_index"), ["phone_last4_index"], unique=False
        )
    with op.batch_alter_table("beneficiary_proxy", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.alter_column(
            "phone_cipher", existing_type=sa.String(length=128), nullable=False
        )
        batch_op.alter_column(
            "phone_last4_index", existing_type=sa.String(length=32), nullable=False
        )


def _encrypt(
    bind: sa.Connection, cipher: FieldCipher, people: Sequence[Any], proxies: Sequence[Any]
) -> None:
    bind.execute(
        sa.text(
            "UPDATE beneficiary SET phone_cipher = '', phone_index = '', phone_last4_index = ''"
        )
    )
    bind.execute(sa.text("UPDATE beneficiary_proxy SET phone_cipher = '', phone_last4_index = ''"))
    rows = []
    for person_id, id_number, phone in people:
        number = re.sub(r"\s+", "", id_number).upper()
        text = _phone(phone or "")
        rows.append(
            {
                "row_id": person_id,
                "id_cipher": cipher.encrypt(number, field=_ID),
                "id_index": cipher.index("id_number", number),
                "id_last4": cipher.index("id_last4", _last4(number)),
                "phone_cipher": cipher.encrypt(text, field=_PHONE),
                "phone_index": cipher.index("phone", text),
                "phone_last4": cipher.index("phone_last4", _last4(_digits(text))),
                # the live row keeps no plaintext even before its column is dropped
                # (PostgreSQL's DROP COLUMN only hides the values)
                "placeholder": f"x{person_id}",
            }
        )
    if rows:
        bind.execute(
            sa.text(
                "UPDATE beneficiary SET id_number_cipher = :id_cipher, "
                "id_number_index = :id_index, id_last4_index = :id_last4, "
                "phone_cipher = :phone_cipher, phone_index = :phone_index, "
                "phone_last4_index = :phone_last4, id_number = :placeholder, phone = '' "
                "WHERE id = :row_id"
            ),
            rows,
        )
    proxy_rows = [
        {
            "row_id": proxy_id,
            "phone_cipher": cipher.encrypt(_phone(phone), field=_PROXY_PHONE),
            "phone_last4": cipher.index("phone_last4", _last4(_digits(_phone(phone)))),
        }
        for proxy_id, phone in proxies
    ]
    if proxy_rows:
        bind.execute(
            sa.text(
                "UPDATE beneficiary_proxy SET phone_cipher = :phone_cipher, "
                "phone_last4_index = :phone_last4, phone = '' WHERE id = :row_id"
            ),
            proxy_rows,
        )


def downgrade() -> None:
    # The plaintext cannot come back without the key: a downgrade keeps the ciphertexts and
    # gives the old columns empty values (restore a backup taken before the upgrade instead).
    with op.batch_alter_table("beneficiary_proxy", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.drop_column("phone_last4_index")
        batch_op.drop_column("phone_cipher")
    with op.batch_alter_table("beneficiary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_beneficiary_phone_last4_index"))
        batch_op.drop_index(batch_op.f("ix_beneficiary_id_last4_index"))
        batch_op.drop_constraint(batch_op.f("uq_beneficiary_id_number_index"), type_="unique")
        batch_op.add_column(
            sa.Column("phone", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("id_number", sa.String(length=18), nullable=True))
        for name in (
            "phone_last4_index",
            "phone_index",
            "phone_cipher",
            "id_last4_index",
            "id_number_index",
            "id_number_cipher",
        ):
            batch_op.drop_column(name)
