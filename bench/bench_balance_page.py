"""The balance page on SQLite: how long a page and its JSON take with many movements, and that
unknown, closed, frozen and malformed tokens cost the same (the 404 path must not tell them
apart). Plain Python that prints numbers.

    python bench/bench_balance_page.py [--people 2000] [--rounds 400]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cards.models import Beneficiary
from cards.services import cards as services
from cards.services import ledger, personal
from core.auth import Actor
from core.config import Settings
from core.crypto import FieldCipher
from core.db import Database
from core.keys import DataKeys, new_key_text
from core.money import Money
from pos import migrate
from pos.app import create_app

ACTOR = Actor(None, "bench")
BENCH_KEYS = DataKeys.from_text(new_key_text())  # a throwaway store's key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=400)
    args = parser.parse_args()
    at = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database(url)
        migrate.upgrade(db.engine)
        cipher = FieldCipher(BENCH_KEYS)
        with db.transaction() as session:
            for n in range(args.people):
                session.add(
                    Beneficiary(
                        **personal.id_columns(cipher, f"41010819600101{n:04d}"),
                        **personal.phone_columns(cipher, "13800000000"),
                        name=f"测试{n}",
                        category="低保",
                        created_at=at,
                        updated_at=at,
                    )
                )
            session.flush()
            cards = services.issue_all(session, at=at, actor=ACTOR)
            account = cards[2].account_id
            ledger.adjust(
                session,
                account,
                Money(1_000_000),
                reason="bench",
                at=at,
                tz=UTC,
                actor=ACTOR,
                keys=BENCH_KEYS,
            )
            for n in range(500):  # a long history on the card we page
                ledger.debit_for_sale(
                    session,
                    account,
                    Money(100 + n),
                    sale_no=f"B{n:05d}",
                    at=at - timedelta(hours=500 - n),
                    tz=UTC,
                    actor=ACTOR,
                    keys=BENCH_KEYS,
                )
            services.replace_card(session, cards[0].card_no, at=at, actor=ACTOR)
            services.freeze_card(session, cards[1].card_no, reason="bench", at=at, actor=ACTOR)
            tokens = [c.qr_token for c in cards[:3]]
        settings = Settings().with_overrides(
            database={"url": url}, balance_page={"rate_limit": "1000000 per minute"}
        )
        app = create_app(settings, database=db, clock=lambda: at, testing=True)
        client = app.test_client()
        cases = {
            "unknown": "/b/QQQQQQQQQQQQQQQQQQQQQQQQ",
            "closed": f"/b/{tokens[0]}",
            "frozen": f"/b/{tokens[1]}",
            "malformed": "/b/" + "!" * 80,
            "page": f"/b/{tokens[2]}",
        }
        timings: dict[str, list[float]] = {k: [] for k in [*cases, "json"]}
        rng = random.Random(7)
        for _ in range(args.rounds):
            # shuffled every round: a request right after a heavy one runs slower (caches)
            order = [*cases.items(), ("json", cases["page"])]
            rng.shuffle(order)
            for kind, path in order:
                headers = {"Accept": "application/json"} if kind == "json" else {}
                start = time.perf_counter()
                answer = client.get(path, headers=headers)
                timings[kind].append((time.perf_counter() - start) * 1e6)
                assert answer.status_code == (200 if kind in ("page", "json") else 404), kind
        print(f"{args.people} cards, 501 movements on the paged card, {args.rounds} rounds")
        for kind, values in timings.items():
            values.sort()
            p10, p90 = values[len(values) // 10], values[len(values) * 9 // 10]
            print(
                f"  {kind:10s} median {statistics.median(values):7.0f} us"
                f"   p10 {p10:7.0f}   p90 {p90:7.0f}"
            )
        db.dispose()


if __name__ == "__main__":
    main()
