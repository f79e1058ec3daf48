"""Upgrading a store whose ledger chain is plain SHA-256 (the schema before cards_0600_keyed_chain):
the old chain is checked, then re-hashed under the data key; a broken old chain, or no key,
refuses the upgrade and changes nothing. Afterwards the append-only trigger lets only the hashes
change."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError

from cards.services.seals import current_seal
from cards.services.verify import verify_ledger
from core.db import Database
from core.errors import Conflict
from core.keys import DataKeyError, DataKeys, new_key_text
from pos import migrate
from tests.conftest import PG_URL, TEST_KEYS

REVISION = "cards_0600_keyed_chain"
AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def upgrade_to_before(engine: sa.Engine) -> None:
    """Every branch at its head, except cards: at the revision before the keyed chain."""
    config = migrate.alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    before = script.get_revision(REVISION).down_revision
    assert isinstance(before, str)
    later = {
        head
        for head in script.get_heads()
        if REVISION in {r.revision for r in script.iterate_revisions(head, "base")}
    }
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, before)
        for head in sorted(set(script.get_heads()) - later):
            command.upgrade(config, head)


def plain_hash(prev: str, seq: int, memo: str, postings: list[tuple[str, int]]) -> str:
    """The chain's hash before the key, as cards.services.ledger computed it."""
    digest = hashlib.sha256()
    at = AT.replace(tzinfo=None).isoformat(timespec="microseconds")
    header = "|".join([prev, str(seq), "adjustment", "2026-11-01", "", "", memo, at, "bureau"])
    digest.update(header.encode("utf-8"))
    for key in sorted(f"b{book}:{fen}" for book, fen in postings):
        digest.update(b"\n" + key.encode("utf-8"))
    return digest.hexdigest()


def seed_plain_chain(engine: sa.Engine, count: int = 5, *, break_at: int | None = None) -> None:
    previous = "0" * 64
    with engine.begin() as connection:
        for seq in range(1, count + 1):
            postings = [("adjustment", -100 * seq), ("sales", 100 * seq)]
            digest = plain_hash(previous, seq, f"调整 {seq}", postings)
            connection.execute(
                sa.text(
                    "INSERT INTO ledger_txn (id, seq, kind, business_date, period, idem_key, "
                    "memo, at, actor_id, actor_name, prev_hash, hash) VALUES (:id, :seq, "
                    "'adjustment', :d, '', NULL, :memo, :at, NULL, 'bureau', :prev, :hash)"
                ),
                {
                    "id": seq,
                    "seq": seq,
                    "d": date(2026, 11, 1),
                    "memo": f"调整 {seq}" + ("（改）" if seq == break_at else ""),
                    "at": AT.replace(tzinfo=None),
                    "prev": previous,
                    "hash": digest,
                },
            )
            for book, fen in postings:
                connection.execute(
                    sa.text(
                        "INSERT INTO ledger_posting (txn_id, account_id, book, amount_fen) "
                        "VALUES (:t, NULL, :b, :f)"
                    ),
                    {"t": seq, "b": book, "f": fen},
                )
            previous = digest
        connection.execute(
            sa.text("INSERT INTO ledger_head (id, seq, hash) VALUES (1, :s, :h)"),
            {"s": count, "h": previous},
        )


@pytest.fixture
def old_store(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'charity.db'}")
    upgrade_to_before(db.engine)
    yield db
    db.dispose()


def test_the_plain_chain_is_checked_then_keyed(old_store: Database) -> None:
    seed_plain_chain(old_store.engine)
    notes: list[str] = []
    migrate.upgrade(old_store.engine, keys=lambda: TEST_KEYS, notes=notes)
    assert any("5 笔交易已核对并改为用数据密钥加封" in n for n in notes)
    assert migrate.is_current(old_store.engine) and migrate.pending_diff(old_store.engine) == []
    with old_store.session(write=False) as session:
        result = verify_ledger(session, TEST_KEYS)
        assert result.ok, result.problems
        assert current_seal(session).seq == 5
        other = verify_ledger(session, DataKeys.from_text(new_key_text()))
        assert not other.ok and "按密钥重算哈希不符" in "\n".join(other.problems)


def test_a_broken_plain_chain_refuses_the_upgrade(old_store: Database) -> None:
    seed_plain_chain(old_store.engine, break_at=3)
    before = migrate.current_heads(old_store.engine)
    with pytest.raises(Conflict, match="交易 #3 的内容或分录被改动"):
        migrate.upgrade(old_store.engine, keys=lambda: TEST_KEYS)
    assert migrate.current_heads(old_store.engine) == before


def test_without_a_key_a_store_with_a_ledger_refuses(old_store: Database) -> None:
    seed_plain_chain(old_store.engine)
    before = migrate.current_heads(old_store.engine)
    with pytest.raises(DataKeyError, match="5 笔交易"):
        migrate.upgrade(old_store.engine)
    assert migrate.current_heads(old_store.engine) == before


def test_an_empty_store_needs_no_key(old_store: Database) -> None:
    migrate.upgrade(old_store.engine)
    assert migrate.is_current(old_store.engine)


def test_only_the_hashes_of_a_transaction_may_change(old_store: Database) -> None:
    seed_plain_chain(old_store.engine, count=1)
    migrate.upgrade(old_store.engine, keys=lambda: TEST_KEYS)
    with old_store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE ledger_txn SET hash = hash, prev_hash = prev_hash"))
    for sql in (
        "UPDATE ledger_txn SET memo = 'x'",
        "UPDATE ledger_txn SET seq = 9",
        "UPDATE ledger_txn SET chain = 'store:01'",
        "DELETE FROM ledger_txn",
    ):
        with pytest.raises(DBAPIError, match="只能追加"):
            with old_store.engine.begin() as connection:
                connection.execute(sa.text(sql))


def test_the_trigger_on_either_database(database: Database) -> None:
    """The same guard on the test database (PostgreSQL too, with CHARITY_TEST_DATABASE_URL)."""
    with database.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO ledger_txn (id, chain, seq, kind, business_date, period, memo, at, "
                "actor_name, prev_hash, hash) VALUES (1, 'bureau', 1, 'adjustment', :d, '', "
                "'m', :at, 'x', 'p', 'h')"
            ),
            {"d": date(2026, 11, 1), "at": AT.replace(tzinfo=None)},
        )
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE ledger_txn SET hash = 'h2', prev_hash = 'p2'"))
    for sql in ("UPDATE ledger_txn SET memo = 'x'", "DELETE FROM ledger_txn"):
        with pytest.raises(DBAPIError, match="只能追加"):
            with database.engine.begin() as connection:
                connection.execute(sa.text(sql))


@pytest.mark.usefixtures("postgres_only")
def test_the_upgrade_on_postgres() -> None:
    name = f"h10a_chain_{os.getpid()}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    db = Database(sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade_to_before(db.engine)
        seed_plain_chain(db.engine)
        migrate.upgrade(db.engine, keys=lambda: TEST_KEYS)
        assert migrate.pending_diff(db.engine) == []
        with db.session(write=False) as session:
            result = verify_ledger(session, TEST_KEYS)
            assert result.ok, result.problems
    finally:
        db.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()
