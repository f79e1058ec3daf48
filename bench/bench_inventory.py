"""Product lookup by barcode with 100,000 products: ms per lookup through the service and through
the JSON API (Flask test client, bearer token). Run: python bench/bench_inventory.py [N] [URL]."""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from core.auth import Role, add_user, issue_token
from core.config import Settings
from core.db import Database
from inventory.models import Product
from inventory.services.lookup import lookup
from inventory.services.scale import check_digit
from pos import migrate
from pos.app import create_app

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
LOOKUPS = 2_000


def barcode(i: int) -> str:
    body = f"690{i:09d}"
    return body + check_digit(body)


def main() -> None:
    url = sys.argv[2] if len(sys.argv) > 2 else f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    db = Database(url)
    migrate.upgrade(db.engine)
    now = datetime.now(UTC)
    started = time.perf_counter()
    with db.transaction() as session:
        rows = [
            {
                "barcode": barcode(i), "name": f"商品{i}", "spec": "500g", "unit": "袋",
                "category": "粮油", "list_price_fen": 100 + i % 9000, "discount_bp": 500,
                "source": "purchased", "active": True, "reorder_level_milli": 0,
                "clothing": False, "weighed": False, "stock_milli": 0,
                "created_at": now, "updated_at": now,
            }
            for i in range(N)
        ]  # fmt: skip
        for start in range(0, N, 10_000):
            session.execute(insert(Product), rows[start : start + 10_000])
        user = add_user(session, "bench", "password123", Role.CASHIER, at=now)

        token = issue_token(session, user, at=now, ttl=timedelta(hours=1))
    print(f"{N} products inserted in {time.perf_counter() - started:.1f} s ({db.dialect})")

    codes = [barcode(random.randrange(N)) for _ in range(LOOKUPS)]
    timings = []
    with db.session() as session:
        for code in codes:
            t = time.perf_counter()
            scan = lookup(session, code)
            timings.append(time.perf_counter() - t)
            assert scan.product.barcode == code
            session.expunge_all()
    report("service lookup()", timings)

    settings = Settings().with_overrides(database={"url": url}, security={"secret_key": "bench"})
    app = create_app(settings, database=db, testing=True)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    timings = []
    for code in codes[:1000]:
        t = time.perf_counter()
        answer = client.get(f"/api/v1/products/{code}", headers=headers)
        timings.append(time.perf_counter() - t)
        assert answer.status_code == 200, answer.get_json()
    report("GET /api/v1/products/{barcode}", timings)
    db.dispose()


def report(what: str, timings: list[float]) -> None:
    ms = sorted(t * 1000 for t in timings)
    print(
        f"{what}: mean {statistics.mean(ms):.3f} ms, median {statistics.median(ms):.3f} ms, "
        f"p95 {ms[int(len(ms) * 0.95)]:.3f} ms over {len(ms)} lookups"
    )


if __name__ == "__main__":
    main()
