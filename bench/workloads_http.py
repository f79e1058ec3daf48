"""The balance page `/b/<token>` served by waitress on loopback, 16 client connections at once
(as the issue measures it), against a bare Flask app on waitress reading one card row with
sqlite3 (a connection per server thread)."""

from __future__ import annotations

import http.client
import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from datasets import DataSet, month_at
from flask import Flask, abort
from harness import Result, interleaved

from core.db import Database
from core.money import Money
from pos.app import create_app

CONNECTIONS = 16
SERVER_THREADS = 4


def bare_app(path: Path) -> Flask:
    bare = Flask("bare")
    local = threading.local()

    @bare.get("/b/<token>")
    def page(token: str) -> str:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = sqlite3.connect(path)
        row = conn.execute(
            "SELECT c.card_no, a.balance_fen FROM card c JOIN account a "
            "ON a.id = c.account_id WHERE c.qr_token = ? AND c.status = 'active'",
            (token,),
        ).fetchone()
        if row is None:
            abort(404)
        return f"<p>卡号 {row[0]} 余额 {Money(row[1]).format()}</p>"

    return bare


def serve(app: Any) -> tuple[Any, int]:
    from waitress.server import create_server

    # 16 clients on 4 threads queue by design; and a thread may still be finishing at close
    logging.getLogger("waitress").setLevel(logging.CRITICAL)

    server = create_server(app, host="127.0.0.1", port=0, threads=SERVER_THREADS)
    port = server.socket.getsockname()[1]  # type: ignore[union-attr]
    threading.Thread(target=server.run, daemon=True).start()
    return server, port


def load(port: int, tokens: list[str], requests: int) -> float:
    """Requests per second with CONNECTIONS keep-alive clients sharing `requests`."""
    failures: list[int] = []
    each = max(1, requests // CONNECTIONS)

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(each):
            conn.request("GET", f"/b/{tokens[(n * each + i) % len(tokens)]}")
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                failures.append(answer.status)
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONNECTIONS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - start
    assert not failures, failures[:5]
    return each * CONNECTIONS / took


def balance_page_served(data: DataSet, rounds: int, requests: int) -> Result:
    path = data.with_ledger.path
    settings = data.settings.with_overrides(
        database={"url": f"sqlite:///{path}"}, balance_page={"rate_limit": "100000000 per minute"}
    )
    at = month_at(data.months[-1])
    db = Database(f"sqlite:///{path}")
    app = create_app(settings, database=db, clock=lambda: at, testing=True)
    project_server, project_port = serve(app)
    bare_server, bare_port = serve(bare_app(path))
    tokens = data.tokens
    try:
        load(project_port, tokens, CONNECTIONS * 4)  # warm both
        load(bare_port, tokens, CONNECTIONS * 4)
        p, b = interleaved(
            lambda: load(project_port, tokens, requests),
            lambda: load(bare_port, tokens, requests),
            rounds,
        )
    finally:
        project_server.close()
        bare_server.close()
        db.dispose()
    return Result(
        f"balance page /b/<token>, waitress, {CONNECTIONS} connections", "rate", p, b, 0.5,
        unit="req",
    )  # fmt: skip
