"""Counter speed with 4 terminals busy: the app served by waitress on loopback (SQLite by default),
4 client threads each scanning (POST /api/v1/quote, what the terminal sends per scan) and paying
by card (POST /api/v1/sales). Prints p50/p95/p99 of both, measured at the client, so they are an
upper bound of the server-side time.

    python bench/bench_checkout.py [SALES_PER_TERMINAL] [DATABASE_URL]

Targets (issue [5]): a scan answers in under 50 ms, a card sale commits in under 100 ms p99.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from stdnum.cn import ric

from cards.services import cards as card_services
from cards.services import ledger, roster
from core.auth import Actor, Role, add_user, issue_token
from core.config import Settings
from core.db import Database
from core.keys import DataKeys, new_key_text
from core.money import Money
from inventory.services.products import create_product
from inventory.services.stock import record_movement
from pos import migrate
from pos.app import create_app

BENCH_KEYS = DataKeys.from_text(new_key_text())  # a throwaway store's key

TERMINALS = 4
PEOPLE = 200
PRODUCTS = 500
ACTOR = Actor(None, "bench")


def ean13(i: int) -> str:
    body = f"690{i:09d}"
    total = sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def make_id(serial: int) -> str:
    body = f"41010819600101{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def setup(db: Database, settings: Settings) -> tuple[list[str], list[str], list[str]]:
    now = datetime.now(UTC)
    with db.transaction() as session:
        barcodes = []
        for i in range(PRODUCTS):
            product = create_product(
                session, barcode=ean13(i), name=f"商品{i}", unit="袋",
                list_price=Money(100 + i * 7 % 5000), discount_rate=Decimal("0.05"),
                at=now, actor=ACTOR, settings=settings,
            )  # fmt: skip
            record_movement(session, product, Decimal(10_000), "receipt", at=now, actor=ACTOR)
            barcodes.append(product.barcode)
        rows = "序号,姓名,身份证号,类别\r\n" + "".join(
            f"{n},测试{n},{make_id(n)},低保\r\n" for n in range(1, PEOPLE + 1)
        )
        plan = roster.plan_import(
            session,
            rows.encode(),
            "bench.csv",
            keys=BENCH_KEYS,
            categories=settings.allowance.categories,
            at=now,
            tz=settings.tz,
        )
        roster.apply_import(
            session,
            plan,
            skip_invalid=False,
            exit_missing=False,
            at=now,
            actor=ACTOR,
            tz=settings.tz,
        )
        cards = card_services.issue_all(session, at=now, actor=ACTOR)
        for card in cards:
            ledger.adjust(
                session,
                card.account_id,
                Money(1_000_000),
                reason="bench",
                at=now,
                tz=settings.tz,
                actor=ACTOR,
                keys=BENCH_KEYS,
            )
        tokens = []
        for t in range(TERMINALS):
            user = add_user(session, f"till{t}", "password123", Role.CASHIER, at=now)
            tokens.append(issue_token(session, user, at=now, ttl=timedelta(hours=2)))
        card_nos = [c.card_no for c in cards]
    return barcodes, card_nos, tokens


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    sales_per_terminal = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    # a real store's settings (outside demo mode the app wants both keys)
    keys = {
        "secret_key": secrets.token_hex(32),
        "data_key": base64.b64encode(os.urandom(32)).decode(),
    }
    settings = Settings().with_overrides(database={"url": url}, security=keys)
    db = Database(url)
    migrate.upgrade(db.engine)
    barcodes, card_nos, tokens = setup(db, settings)
    app = create_app(settings, database=db)

    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=TERMINALS)
    port = server.socket.getsockname()[1]  # type: ignore[union-attr]
    threading.Thread(target=server.run, daemon=True).start()

    scans: list[float] = []
    sales: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def terminal(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {tokens[n]}", "Content-Type": "application/json"}
        for i in range(sales_per_terminal):
            card_no = card_nos[(n * sales_per_terminal + i) % len(card_nos)]
            lines = [
                {"barcode": barcodes[(n * 31 + i * 7 + k) % len(barcodes)], "qty": 1}
                for k in range(3)
            ]
            started = time.perf_counter()
            conn.request(
                "POST", "/api/v1/quote", json.dumps({"card_no": card_no, "lines": lines}), headers
            )
            answer = conn.getresponse()
            quote = json.loads(answer.read())
            scan_ms = (time.perf_counter() - started) * 1000
            body = {
                "client_ref": str(uuid.uuid4()),
                "card_no": card_no,
                "lines": lines,
                "payments": [{"method": "card", "amount": quote["total"]}],
            }
            started = time.perf_counter()
            conn.request("POST", "/api/v1/sales", json.dumps(body), headers)
            answer = conn.getresponse()
            payload = answer.read()
            sale_ms = (time.perf_counter() - started) * 1000
            with lock:
                scans.append(scan_ms)
                sales.append(sale_ms)
                if answer.status != 201:
                    failures.append(f"{answer.status} {payload[:200]!r}")

    started = time.perf_counter()
    threads = [threading.Thread(target=terminal, args=(n,)) for n in range(TERMINALS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    # the server thread is a daemon: it ends with the process
    print(
        f"{db.dialect}: {len(sales)} card sales by {TERMINALS} terminals at once in {elapsed:.1f} s "
        f"({len(sales) / elapsed:.0f} sales/s), {len(failures)} failed"
    )
    for name, values in (("scan (quote, 3 lines)", scans), ("card sale commit", sales)):
        print(
            f"  {name:22s} p50 {statistics.median(values):6.1f} ms  "
            f"p95 {percentile(values, 95):6.1f} ms  p99 {percentile(values, 99):6.1f} ms  "
            f"max {max(values):6.1f} ms"
        )
    if failures:
        print("  first failure:", failures[0])
        sys.exit(1)


if __name__ == "__main__":
    main()
