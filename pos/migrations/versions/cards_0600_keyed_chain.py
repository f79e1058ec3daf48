"""cards: the ledger's hash chain keyed (HMAC-SHA256 under the data key's ledger-seal subkey),
named chains

Revision ID: cards_0600_keyed_chain
Revises: cards_0610_posting_category
Create Date: 2026-12-12

Until now each transaction's hash was a plain SHA-256 that anyone able to write the database
could recompute after an edit. It becomes an HMAC under `keys.derive("ledger-seal")`; the key is
never in the database, so `charity init` hands it in (Alembic config attribute `data_keys`, as
for `cards_0500_field_encryption`), asked only when there are transactions to re-hash. The old
plain chain is checked first: if it does not hold, the upgrade refuses with one Chinese line and
changes nothing (re-keying would launder an edit).

`ledger_txn.chain` and `ledger_head.chain` name the chain (today only "bureau"; issue [12] adds
one per store); `seq` becomes unique per chain. `ledger_head.key_id` names (publicly) the key the
chain is hashed under, so that a process still holding another key is refused rather than
writing hashes no one can check. The append-only trigger of `ledger_txn` now lets
an UPDATE through that sets only `prev_hash` and `hash` (`charity keys rotate` re-keys them);
every other column, and DELETE, is refused as before. Each posting's hash covers its category
(the person's category when the money moved), which `cards_0610_posting_category` added before.
"""

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from core.errors import Conflict
from core.db_migrations import append_only, append_only_except, drop_table_guard
from core.keys import PURPOSE_LEDGER_SEAL, DataKeyError, DataKeys

revision: str = "cards_0600_keyed_chain"
down_revision: str | Sequence[str] | None = "cards_0610_posting_category"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
_MESSAGE = "账本分录只能追加，不能修改或删除"
# Every column of ledger_txn but the hashes (which rotation re-keys).
_GUARDED = (
    "id",
    "chain",
    "seq",
    "kind",
    "business_date",
    "period",
    "idem_key",
    "memo",
    "at",
    "actor_id",
    "actor_name",
)


def _attributes() -> dict[str, Any]:
    config = op.get_context().config
    return config.attributes if config is not None else {}


def _keys(count: int) -> DataKeys:
    provider: Callable[[], DataKeys] | None = _attributes().get("data_keys")
    what = f"账本中有 {count} 笔交易的哈希要改为用数据密钥加封"
    if provider is None:
        raise DataKeyError(f"{what}，需要数据密钥：请用 charity init 升级数据库")
    try:
        return provider()
    except DataKeyError as exc:
        raise DataKeyError(f"{what}，升级前必须设置数据密钥（未做任何改动）：{exc}") from None


def _utc(at: Any) -> datetime:
    if isinstance(at, str):  # SQLite hands back text
        at = datetime.fromisoformat(at)
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at  # type: ignore[no-any-return]


def _date(value: Any) -> str:
    return value if isinstance(value, str) else value.isoformat()


# As cards.services.ledger had it before this revision (copied: a migration does not follow code).
def _plain_hash(txn: Any, postings: list[tuple[Any, Any, int, Any]]) -> str:
    digest = hashlib.sha256()
    header = "|".join(
        [
            txn.prev_hash,
            str(txn.seq),
            txn.kind,
            _date(txn.business_date),
            txn.period,
            txn.idem_key or "",
            txn.memo,
            _utc(txn.at).isoformat(timespec="microseconds"),
            txn.actor_name,
        ]
    )
    digest.update(header.encode("utf-8"))
    keys = sorted(f"a{a}:{f}" if a is not None else f"b{b}:{f}" for a, b, f, _ in postings)
    for key in keys:
        digest.update(b"\n" + key.encode("utf-8"))
    return digest.hexdigest()


def _canonical(values: Sequence[object]) -> bytes:
    return json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# As cards.services.chain has it at this revision (copied, as above).
def _keyed_hash(
    key: bytes, txn: Any, prev_hash: str, postings: list[tuple[Any, Any, int, Any]]
) -> str:
    header = _canonical(
        [
            "bureau",
            txn.seq,
            prev_hash,
            txn.kind,
            _date(txn.business_date),
            txn.period,
            txn.idem_key,
            txn.memo,
            _utc(txn.at).isoformat(timespec="microseconds"),
            txn.actor_id,
            txn.actor_name,
        ]
    )
    digest = hmac.new(key, header, hashlib.sha256)
    for line in sorted(_canonical(p) for p in postings):
        digest.update(b"\n" + line)
    return digest.hexdigest()


def _transactions(bind: sa.Connection) -> Iterator[tuple[Any, list[tuple[Any, Any, int, Any]]]]:
    rows = bind.execute(
        sa.text(
            "SELECT t.id, t.seq, t.kind, t.business_date, t.period, t.idem_key, t.memo, t.at, "
            "t.actor_id, t.actor_name, t.prev_hash, t.hash, "
            "p.id AS posting_id, p.account_id, p.book, p.amount_fen, p.category "
            "FROM ledger_txn t LEFT JOIN ledger_posting p ON p.txn_id = t.id "
            "ORDER BY t.seq, p.id"
        )
    )
    current: Any = None
    postings: list[tuple[Any, Any, int, Any]] = []
    for row in rows:
        if current is None or current.id != row.id:
            if current is not None:
                yield current, postings
            current, postings = row, []
        if row.posting_id is not None:
            postings.append((row.account_id, row.book, int(row.amount_fen), row.category))
    if current is not None:
        yield current, postings


def _check_plain_chain(bind: sa.Connection) -> None:
    previous, expected = GENESIS, 1
    for txn, postings in _transactions(bind):
        problem = None
        if txn.seq != expected:
            problem = f"序号不连续：应为 #{expected}，实为 #{txn.seq}"
        elif txn.prev_hash != previous:
            problem = f"交易 #{txn.seq} 的前一哈希与链不符"
        elif _plain_hash(txn, postings) != txn.hash:
            problem = f"交易 #{txn.seq} 的内容或分录被改动（哈希不符）"
        if problem:
            raise Conflict(
                f"账本哈希链不成立，不能改为密钥加封（未做任何改动）：{problem}；"
                "请先用旧版本的 charity ledger verify 查明原因"
            )
        previous, expected = txn.hash, txn.seq + 1
    head = bind.execute(sa.text("SELECT seq, hash FROM ledger_head WHERE id = 1")).first()
    if head is not None and (head.seq != expected - 1 or head.hash != previous):
        raise Conflict(
            f"账本链头（#{head.seq}）与最后一笔交易（#{expected - 1}）不符，"
            "不能改为密钥加封（未做任何改动）"
        )


def _rehash(bind: sa.Connection, keys: DataKeys) -> int:
    key = keys.derive(PURPOSE_LEDGER_SEAL)
    previous = GENESIS
    updates = []
    for txn, postings in _transactions(bind):
        digest = _keyed_hash(key, txn, previous, postings)
        updates.append({"id": txn.id, "prev": previous, "hash": digest})
        previous = digest
    statement = sa.text("UPDATE ledger_txn SET prev_hash = :prev, hash = :hash WHERE id = :id")
    for start in range(0, len(updates), 500):
        bind.execute(statement, updates[start : start + 500])
    bind.execute(
        sa.text("UPDATE ledger_head SET hash = :h, key_id = :k WHERE chain = 'bureau'"),
        {"h": previous, "k": keys.key_id},
    )
    return len(updates)


def upgrade() -> None:
    bind = op.get_bind()
    count = bind.execute(sa.text("SELECT COUNT(*) FROM ledger_txn")).scalar_one()
    keys = None
    if count:
        _check_plain_chain(bind)
        keys = _keys(count)

    drop_table_guard("ledger_txn")
    with op.batch_alter_table("ledger_txn", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=32), nullable=True))
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
    op.execute("UPDATE ledger_txn SET chain = 'bureau'")
    op.execute("UPDATE ledger_head SET chain = 'bureau', key_id = ''")
    with op.batch_alter_table("ledger_txn", schema=None) as batch_op:
        batch_op.alter_column("chain", existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_constraint("uq_ledger_txn_seq", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_ledger_txn_chain_seq"), ["chain", "seq"]
        )
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.alter_column("chain", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("key_id", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_ledger_head_chain"), ["chain"])

    if keys is not None:
        done = _rehash(bind, keys)
        _attributes().setdefault("notes", []).append(
            f"账本哈希链 {done} 笔交易已核对并改为用数据密钥加封（密钥编号 {keys.key_id}）"
        )
    _guard(_GUARDED)


def _guard(columns: Sequence[str]) -> None:
    append_only_except(
        "ledger_txn", guarded=columns, function="ledger_append_only", message=_MESSAGE
    )


def downgrade() -> None:
    # The keyed hashes stay: a downgraded store's plain verify will not accept them.
    drop_table_guard("ledger_txn")
    with op.batch_alter_table("ledger_head", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ledger_head_chain"), type_="unique")
        batch_op.drop_column("key_id")
        batch_op.drop_column("chain")
    with op.batch_alter_table("ledger_txn", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ledger_txn_chain_seq"), type_="unique")
        batch_op.create_unique_constraint("uq_ledger_txn_seq", ["seq"])
        batch_op.drop_column("chain")
    append_only("ledger_txn", function="ledger_append_only", message=_MESSAGE)
