"""Workloads over the cards ledger: card issue, the monthly top-up, `charity ledger verify` and
the fund statement of a month, each against a raw-driver (sqlite3) baseline."""

from __future__ import annotations

import hashlib
import hmac
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from bench_cards import make_roster
from datasets import ACTOR, AT, DataSet, import_roster, month_at
from harness import (
    BENCH_KEYS,
    Captured,
    Result,
    Template,
    capture,
    interleaved,
    peak_mb,
    raw_connect,
    replay,
    rowid_marks,
)

from cards.hooks import CardsHooks
from cards.services import cards as card_services
from cards.services import fund_statement, topup
from cards.services.chain import seal_key
from cards.services.verify import verify_ledger
from core.db import Database


def _replay_timed(
    path: Path, captured: Captured, after: Callable[[sqlite3.Connection], None] | None = None
) -> float:
    conn = raw_connect(path)
    try:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        replay(conn, captured)
        if after is not None:
            after(conn)
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def _issue_template(data: DataSet, people: int) -> Template:
    """The people without cards: the data set's, or a smaller roster imported on its own."""
    if people >= data.people:
        return data.with_people
    template = Template(data.folder, f"issue_{people}")
    roster_path = data.folder / f"roster_issue_{people}.csv"
    make_roster(roster_path, people)
    shutil.copyfile(data.empty.path, template.path)
    db = Database(template.url())
    import_roster(db, data.settings, roster_path, AT)
    template.save_from(db)
    return template


def card_issue(data: DataSet, rounds: int, people: int) -> Result:
    """`charity cards issue --all` (cards.services.cards.issue_all) for `people` people, against
    the same rows (accounts, cards, card history, audit entries) by executemany."""
    template = _issue_template(data, people)
    captured: list[Captured] = []

    def run(path: Path) -> float:
        db = Database(f"sqlite:///{path}")
        start = time.perf_counter()
        with db.transaction() as session:
            card_services.issue_all(session, at=AT, actor=ACTOR)
        took = time.perf_counter() - start
        db.dispose()
        return took

    def project() -> float:
        path = template.copy()
        marks = rowid_marks(path)
        took = run(path)
        if not captured:
            captured.append(capture(path, marks))
        return took

    def baseline() -> float:
        return _replay_timed(template.copy(), captured[0])

    p, b = interleaved(project, baseline, rounds)
    mem = peak_mb(lambda: run(template.copy()))
    return Result(
        f"cards issue --all, {min(people, data.people):,}", "time", p, b, 3.0, memory_mb=mem,
        extra={"rows": captured[0].count()},
    )  # fmt: skip


def monthly_topup(data: DataSet, rounds: int) -> Result:
    """`charity topup` of the month after the data set's last, over every account, against its
    rows by executemany plus an executemany UPDATE of the balances and the chain's head."""
    month = data.months[-1].next()
    at = month_at(month)
    captured: list[Captured] = []

    def run(path: Path) -> float:
        db = Database(f"sqlite:///{path}")
        start = time.perf_counter()
        with db.transaction() as session:
            topup.run_topup(session, data.settings, month, at=at, actor=ACTOR, keys=BENCH_KEYS)
        took = time.perf_counter() - start
        db.dispose()
        return took

    def project() -> float:
        path = data.with_cards.copy()
        marks = rowid_marks(path)
        took = run(path)
        if not captured:
            captured.append(capture(path, marks))
        return took

    existing = _existing_rows(captured)

    def baseline() -> float:
        return _replay_timed(data.with_cards.copy(), captured[0], existing)

    p, b = interleaved(project, baseline, rounds)
    mem = peak_mb(lambda: run(data.with_cards.copy()))
    return Result(
        f"monthly top-up, {data.people:,} accounts", "time", p, b, 2.0, memory_mb=mem,
        memory_goal_mb=150, extra={"rows": captured[0].count()},
    )  # fmt: skip


def _existing_rows(captured: list[Captured]) -> Callable[[sqlite3.Connection], None]:
    """The updates the project makes to rows that existed: every credited balance (one
    executemany from the postings just written) and the chain's head."""

    def apply(conn: sqlite3.Connection) -> None:
        postings = captured[0].rows.get("ledger_posting")
        txns = captured[0].rows.get("ledger_txn")
        if postings is None or txns is None:
            return
        cols = postings[0]
        acc, amt = cols.index("account_id"), cols.index("amount_fen")
        conn.executemany(
            "UPDATE account SET balance_fen = balance_fen + ? WHERE id = ?",
            [(r[amt], r[acc]) for r in postings[1] if r[acc] is not None],
        )
        tcols = txns[0]
        last = txns[1][-1]
        conn.execute(
            "UPDATE ledger_head SET seq = ?, hash = ? WHERE chain = ?",
            (last[tcols.index("seq")], last[tcols.index("hash")], last[tcols.index("chain")]),
        )

    return apply


def ledger_verify(data: DataSet, rounds: int) -> Result:
    """`charity ledger verify` against the same checks in raw SQL with the chain's HMAC
    recomputed transaction by transaction, streamed."""
    path = data.with_ledger.path

    def project() -> float:
        db = Database(f"sqlite:///{path}")
        start = time.perf_counter()
        with db.session(write=False) as session:
            result = verify_ledger(session, BENCH_KEYS)
        took = time.perf_counter() - start
        db.dispose()
        assert not result.problems, result.problems[:3]
        return took

    def baseline() -> float:
        conn = sqlite3.connect(path)
        start = time.perf_counter()
        raw_verify(conn, seal_key(BENCH_KEYS))
        took = time.perf_counter() - start
        conn.close()
        return took

    p, b = interleaved(project, baseline, rounds)
    mem = peak_mb(project)
    return Result(
        f"ledger verify, {data.postings:,} postings", "time", p, b, 1.5, memory_mb=mem,
    )  # fmt: skip


def raw_verify(conn: sqlite3.Connection, key: bytes) -> int:
    """The verify checks in raw SQL: balances, transactions summing to zero, top-ups twice and
    unregistered, and a keyed hash over every transaction with its postings (streamed)."""
    problems = 0
    problems += len(
        conn.execute(
            "SELECT a.id FROM account a LEFT JOIN (SELECT account_id, SUM(amount_fen) t "
            "FROM ledger_posting WHERE account_id IS NOT NULL GROUP BY account_id) s "
            "ON s.account_id = a.id WHERE a.balance_fen != COALESCE(s.t, 0) LIMIT 50"
        ).fetchall()
    )
    problems += len(
        conn.execute(
            "SELECT txn_id FROM ledger_posting GROUP BY txn_id HAVING SUM(amount_fen) != 0 LIMIT 50"
        ).fetchall()
    )
    problems += len(
        conn.execute(
            "SELECT p.account_id, t.period FROM ledger_posting p JOIN ledger_txn t ON t.id = p.txn_id "
            "WHERE t.kind = 'topup' AND p.account_id IS NOT NULL AND p.amount_fen > 0 "
            "GROUP BY p.account_id, t.period HAVING COUNT(p.id) > 1 LIMIT 50"
        ).fetchall()
    )
    problems += len(
        conn.execute(
            "SELECT p.account_id FROM ledger_posting p JOIN ledger_txn t ON t.id = p.txn_id "
            "WHERE t.kind = 'topup' AND p.account_id IS NOT NULL AND p.amount_fen > 0 AND NOT "
            "EXISTS (SELECT 1 FROM topup_credit c WHERE c.account_id = p.account_id "
            "AND c.month = t.period) LIMIT 50"
        ).fetchall()
    )
    txns = conn.execute(
        "SELECT t.id, t.chain, t.seq, t.prev_hash, t.kind, t.business_date, t.period, "
        "t.idem_key, t.memo, t.at, p.account_id, p.book, p.amount_fen, p.category "
        "FROM ledger_txn t JOIN ledger_posting p ON p.txn_id = t.id ORDER BY t.chain, t.seq, p.id"
    )
    current = None
    digest = None
    for row in txns:
        if row[0] != current:
            current = row[0]
            digest = hmac.new(key, repr(row[1:10]).encode(), hashlib.sha256)
        assert digest is not None
        digest.update(repr(row[10:]).encode())
    return problems


def month_statement(data: DataSet, rounds: int) -> Result:
    """The fund statement of the data set's middle month against one conditional GROUP BY over
    its postings."""
    month = data.months[len(data.months) // 2]
    path = data.with_ledger.path

    def project() -> float:
        db = Database(f"sqlite:///{path}")
        start = time.perf_counter()
        with db.session(write=False) as session:
            fund_statement.fund_statement(session, data.settings, month, CardsHooks())
        took = time.perf_counter() - start
        db.dispose()
        return took

    def baseline() -> float:
        conn = sqlite3.connect(path)
        start = time.perf_counter()
        lo, hi = month.first_day.isoformat(), month.last_day.isoformat()
        conn.execute(
            "SELECT p.category, "
            "SUM(CASE WHEN t.business_date < ? THEN p.amount_fen ELSE 0 END), "
            "SUM(CASE WHEN t.business_date BETWEEN ? AND ? AND t.kind = 'topup' "
            "THEN p.amount_fen ELSE 0 END), "
            "SUM(CASE WHEN t.business_date BETWEEN ? AND ? AND t.kind = 'purchase' "
            "THEN p.amount_fen ELSE 0 END), "
            "SUM(CASE WHEN t.business_date BETWEEN ? AND ? AND t.kind = 'refund' "
            "THEN p.amount_fen ELSE 0 END), "
            "SUM(CASE WHEN t.business_date BETWEEN ? AND ? AND t.kind = 'expiry' "
            "THEN p.amount_fen ELSE 0 END), "
            "SUM(CASE WHEN t.business_date BETWEEN ? AND ? AND t.kind = 'adjustment' "
            "THEN p.amount_fen ELSE 0 END), "
            "COUNT(DISTINCT CASE WHEN t.business_date BETWEEN ? AND ? AND t.kind = 'topup' "
            "THEN p.account_id END), "
            "SUM(CASE WHEN t.business_date <= ? THEN p.amount_fen ELSE 0 END) "
            "FROM ledger_posting p JOIN ledger_txn t ON t.id = p.txn_id "
            "WHERE p.account_id IS NOT NULL AND t.business_date <= ? GROUP BY p.category",
            (lo, *([lo, hi] * 6), hi, hi),
        ).fetchall()
        took = time.perf_counter() - start
        conn.close()
        return took

    p, b = interleaved(project, baseline, rounds)
    mem = peak_mb(project)
    return Result(
        f"fund statement of a month, {data.postings:,} postings", "time", p, b, None,
        memory_mb=mem, note="goal: a month <= 1 s on 5M postings",
        extra={"month_seconds": p},
    )  # fmt: skip
