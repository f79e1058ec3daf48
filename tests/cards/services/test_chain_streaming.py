"""Verify reads the chain transaction by transaction: its memory does not grow with the ledger."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, date, datetime

from sqlalchemy import text

from cards.services import chain
from core.db import Database
from tests.conftest import TEST_KEYS

AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def build_chain(database: Database, count: int) -> None:
    """`count` keyed transactions of two book postings each, written in bulk."""
    previous = chain.GENESIS
    txns, postings = [], []
    for seq in range(1, count + 1):
        lines = [(None, "adjustment", -seq, None), (None, "sales", seq, None)]
        txn = chain.StreamedTxn(
            id=seq,
            chain="bureau",
            seq=seq,
            prev_hash=previous,
            kind="adjustment",
            business_date=date(2026, 11, 1),
            period="",
            idem_key=None,
            memo=f"调整 {seq}",
            at=AT,
            actor_id=None,
            actor_name="bureau",
            hash="",
        )
        txn.hash = chain.txn_hash(TEST_KEYS, txn, lines)
        txns.append({**vars(txn), "at": AT.replace(tzinfo=None)})
        postings += [{"t": seq, "b": b, "f": f} for _, b, f, _c in lines]
        previous = txn.hash
    for row in txns:
        row.pop("postings")
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ledger_txn (id, chain, seq, kind, business_date, period, idem_key, "
                "memo, at, actor_id, actor_name, prev_hash, hash) VALUES (:id, :chain, :seq, "
                ":kind, :business_date, :period, :idem_key, :memo, :at, :actor_id, :actor_name, "
                ":prev_hash, :hash)"
            ),
            txns,
        )
        connection.execute(
            text(
                "INSERT INTO ledger_posting (txn_id, account_id, book, amount_fen) "
                "VALUES (:t, NULL, :b, :f)"
            ),
            postings,
        )
        connection.execute(
            text(
                "INSERT INTO ledger_head (id, chain, seq, hash, key_id) "
                "VALUES (1, 'bureau', :s, :h, :k)"
            ),
            {"s": count, "h": previous, "k": TEST_KEYS.key_id},
        )


def peak_of_walk(database: Database) -> tuple[int, chain.ChainCheck]:
    with database.session(write=False) as session:
        chain.walk(session, TEST_KEYS, through_seq=10)  # compiled statements cached first
        tracemalloc.start()
        try:
            checked = chain.walk(session, TEST_KEYS)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        checked.problems += chain.head_problems(session, checked)
    return peak, checked


def test_walking_a_long_chain_takes_no_more_memory_than_a_short_one(database, tmp_path):
    build_chain(database, 400)
    small, checked = peak_of_walk(database)
    assert checked.count == 400 and checked.problems == []
    with database.engine.begin() as connection:
        connection.execute(text("DELETE FROM ledger_head"))
    # ten times the ledger
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER ledger_posting_no_delete"))
            connection.execute(text("DROP TRIGGER ledger_txn_no_delete"))
        connection.execute(text("DELETE FROM ledger_posting"))
        connection.execute(text("DELETE FROM ledger_txn"))
    build_chain(database, 4000)
    large, checked = peak_of_walk(database)
    assert checked.count == 4000 and checked.problems == []
    assert large < 2 * small, (small, large)
