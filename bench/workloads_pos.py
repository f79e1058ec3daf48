"""Workloads at the counter and at the door: the checkout service (5-line card sale, 1 worker),
the balance page `/b/<token>` against a bare Flask app reading one card row, and the roster
import (xlsx and GBK csv) against parsing the file alone."""

from __future__ import annotations

import csv
import io
import sqlite3
import time
import uuid
from typing import Any

from datasets import DataSet, import_roster, month_at
from flask import Flask, abort
from harness import (
    BENCH_KEYS,
    Captured,
    Result,
    capture,
    insert_sql,
    interleaved,
    peak_mb,
    raw_connect,
    rowid_marks,
)

from core.auth import Actor
from core.db import Database
from core.money import Money
from pos.app import create_app
from pos.services import checkout

LINES = 5


def _request(data: DataSet, n: int, total: Money | None) -> checkout.SaleRequest:
    lines = [checkout.LineRequest(data.barcodes[k]) for k in range(LINES)]
    return checkout.SaleRequest(
        client_ref=str(uuid.uuid4()),
        lines=lines,
        card_no=data.card_nos[n % len(data.card_nos)],
        paid_card=total or Money.zero(),
    )


def checkout_sales(data: DataSet, rounds: int, sales: int) -> Result:
    """`sales` card sales of 5 lines, one after the other, each its own transaction through
    pos.services.checkout; the baseline makes the same rows (sale, lines, payment, stock
    movements, ledger transaction and postings, receipt, audit) per sale with sqlite3, with the
    reads and updates a sale needs (card and account, the 5 products in one IN, the conditional
    debit, the stock levels, the sale counter, the chain's head)."""
    at = month_at(data.months[-1])
    actor = Actor(data.cashier_id, "bench_till")
    settings = data.settings
    captured: list[tuple[Captured, Captured]] = []
    total: list[Money] = []

    def sale(db: Database, n: int) -> None:
        with db.transaction() as session:
            checkout.checkout(
                session, _request(data, n, total[0]), at=at, actor=actor, terminal="B1",
                settings=settings, allowance=None, keys=BENCH_KEYS,
            )  # fmt: skip

    def project() -> float:
        path = data.with_ledger.copy()
        db = Database(f"sqlite:///{path}")
        if not total:
            with db.session(write=False) as session:
                q = checkout.quote(session, _request(data, 0, None).lines, card_no=data.card_nos[0], settings=settings)  # fmt: skip
                total.append(q.total)
        marks0 = rowid_marks(path)
        sale(db, 0)  # warm-up: opens the shift, fills the statement cache
        warm = capture(path, marks0) if not captured else None
        marks1 = rowid_marks(path)
        start = time.perf_counter()
        for n in range(1, sales + 1):
            sale(db, n)
        took = time.perf_counter() - start
        db.dispose()
        if not captured:
            assert warm is not None
            captured.append((warm, capture(path, marks1)))
        return sales / took

    def baseline() -> float:
        warm, rows = captured[0]
        path = data.with_ledger.copy()
        conn = raw_connect(path)
        conn.execute("BEGIN IMMEDIATE")
        for t, (columns, values) in warm.rows.items():  # the warm-up sale and its shift
            conn.executemany(insert_sql(t, columns), values)
        conn.execute("COMMIT")
        per_sale = rows.rows
        start = time.perf_counter()
        for n in range(sales):
            _raw_sale(conn, data, n + 1, per_sale, sales, total[0].fen)
        took = time.perf_counter() - start
        conn.close()
        return sales / took

    p, b = interleaved(project, baseline, rounds)
    return Result(f"checkout service, {LINES}-line card sale, 1 worker", "rate", p, b, 0.25, unit="sales")  # fmt: skip


def _raw_sale(
    conn: sqlite3.Connection,
    data: DataSet,
    n: int,
    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]],
    sales: int,
    amount: int,
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    card_no = data.card_nos[n % len(data.card_nos)]
    account_id = conn.execute(
        "SELECT c.account_id FROM card c JOIN account a ON a.id = c.account_id "
        "JOIN beneficiary b ON b.id = a.beneficiary_id WHERE c.card_no = ? AND c.status = 'active'",
        (card_no,),
    ).fetchone()[0]
    ids = conn.execute(
        f"SELECT id FROM product WHERE barcode IN ({','.join('?' * LINES)})",
        data.barcodes[:LINES],
    ).fetchall()
    conn.execute("SELECT seq, hash FROM ledger_head WHERE chain = 'bureau'").fetchone()
    cur = conn.execute(
        "UPDATE account SET balance_fen = balance_fen - ? WHERE id = ? AND balance_fen >= ?",
        (amount, account_id, amount),
    )
    assert cur.rowcount == 1
    conn.executemany(
        "UPDATE product SET stock_milli = stock_milli - 1000 WHERE id = ?", [(i,) for (i,) in ids]
    )
    conn.execute("UPDATE sale_counter SET last_no = last_no + 1 WHERE terminal = 'B1'")
    for t, (columns, values) in rows.items():
        k = len(values)
        chunk = values[(n - 1) * k // sales : n * k // sales]
        if chunk:
            conn.executemany(insert_sql(t, columns), chunk)
    conn.execute("UPDATE ledger_head SET seq = seq + 1, hash = ? WHERE chain = 'bureau'", ("h",))
    conn.execute("COMMIT")


def balance_page(data: DataSet, rounds: int, requests: int) -> Result:
    """GET /b/<token> through the Flask test client, against a bare Flask app that reads one
    card row (card and balance) with sqlite3 and renders a line of text."""
    path = data.with_ledger.path
    settings = data.settings.with_overrides(
        database={"url": f"sqlite:///{path}"}, balance_page={"rate_limit": "100000000 per minute"}
    )
    at = month_at(data.months[-1])
    db = Database(f"sqlite:///{path}")
    app = create_app(settings, database=db, clock=lambda: at, testing=True)
    client = app.test_client()
    tokens = data.tokens

    bare = Flask("bare")
    local = {"conn": sqlite3.connect(path, check_same_thread=False)}

    @bare.get("/b/<token>")
    def page(token: str) -> str:
        row = (
            local["conn"]
            .execute(
                "SELECT c.card_no, a.balance_fen FROM card c JOIN account a "
                "ON a.id = c.account_id WHERE c.qr_token = ? AND c.status = 'active'",
                (token,),
            )
            .fetchone()
        )
        if row is None:
            abort(404)
        return f"<p>卡号 {row[0]} 余额 {Money(row[1]).format()}</p>"

    bare_client = bare.test_client()

    def hit(c: Any) -> float:
        start = time.perf_counter()
        for n in range(requests):
            answer = c.get(f"/b/{tokens[n % len(tokens)]}")
            assert answer.status_code == 200, answer.status_code
        return requests / (time.perf_counter() - start)

    hit(client)
    hit(bare_client)  # warm both
    p, b = interleaved(lambda: hit(client), lambda: hit(bare_client), rounds)
    db.dispose()
    local["conn"].close()
    return Result(
        "balance page /b/<token>, test client, 1 connection", "rate", p, b, 0.5, unit="req",
        note="issue measures 16 connections",
    )  # fmt: skip


def roster_import(data: DataSet, rounds: int, kind: str) -> Result:
    """The roster import (plan and apply into an empty store) against parsing the file alone."""
    path = data.xlsx if kind == "xlsx" else data.csv_gbk
    at = month_at(data.months[0])

    def project() -> float:
        db = Database(f"sqlite:///{data.empty.copy()}")
        start = time.perf_counter()
        import_roster(db, data.settings, path, at)
        took = time.perf_counter() - start
        db.dispose()
        return took

    def parse() -> float:
        start = time.perf_counter()
        if kind == "xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True)
            for _ in book.worksheets[0].iter_rows(values_only=True):
                pass
            book.close()
        else:
            for _ in csv.reader(io.StringIO(path.read_bytes().decode("gbk"))):
                pass
        return time.perf_counter() - start

    p, b = interleaved(project, parse, rounds)
    mem = peak_mb(project)
    return Result(
        f"roster import, {kind}, {data.people:,} rows", "time", p, b, 3.0, memory_mb=mem,
        note="baseline: parsing alone",
    )  # fmt: skip
