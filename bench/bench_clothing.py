"""Clothing exchange timings: parsing and recording the sample intake file (and one 20x larger),
and claims per second at the counter. Plain Python; prints numbers.

    python bench/bench_clothing.py [DATABASE_URL]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cards.models import Beneficiary
from cards.services import personal
from clothing_exchange.demo import sample_bytes
from clothing_exchange.services import claim_for_sale, clothing_product, record_intake
from clothing_exchange.services.intake_file import parse_intake
from core.auth import Actor
from core.config import Settings
from core.crypto import FieldCipher
from core.db import Database
from core.keys import DataKeys, new_key_text
from pos import migrate

ACTOR = Actor(None, "bench")


def main() -> None:
    settings = Settings()
    kinds = settings.clothing.kinds
    scratch = tempfile.mkdtemp()
    url = sys.argv[1] if len(sys.argv) > 1 else f"sqlite:///{Path(scratch) / 'bench.db'}"
    db = Database(url)
    migrate.upgrade(db.engine)
    data = sample_bytes()
    lines = data.decode("utf-8").splitlines()
    big = [lines[0]] + [
        line.replace("YN2026", f"Z{n:02d}-", 1) for n in range(20) for line in lines[1:]
    ]
    big_bytes = ("\n".join(big) + "\n").encode()
    at = datetime(2026, 8, 1, 2, 0, tzinfo=UTC)

    t = time.perf_counter()
    parsed = parse_intake(data, filename="s.csv", kinds=kinds)
    print(f"parse sample ({len(parsed.rows)} batches): {(time.perf_counter() - t) * 1000:.1f} ms")
    t = time.perf_counter()
    with db.transaction() as s:
        plan = record_intake(s, parsed, at=at, actor=ACTOR, settings=settings)
    print(f"record sample ({plan.items} items): {(time.perf_counter() - t) * 1000:.1f} ms")
    t = time.perf_counter()
    parsed_big = parse_intake(big_bytes, filename="b.csv", kinds=kinds)
    with db.transaction() as s:
        plan = record_intake(s, parsed_big, at=at, actor=ACTOR, settings=settings)
    elapsed = time.perf_counter() - t
    print(f"parse+record {len(parsed_big.rows)} batches: {elapsed * 1000:.0f} ms")

    n = 300
    with db.transaction() as s:
        product = clothing_product(s, "毛衣", "L", "冬", at=at, actor=ACTOR, settings=settings)
        cipher = FieldCipher(DataKeys.from_text(new_key_text()))
        people = [
            Beneficiary(
                **personal.id_columns(cipher, f"4101051980{i:08d}"),
                name=f"测{i}",
                category="低保",
                status="active",
                created_at=at,
                updated_at=at,
            )
            for i in range(n)
        ]
        s.add_all(people)
        s.flush()
        ids = [p.id for p in people]
        pid = product.id
    t = time.perf_counter()
    for i, who in enumerate(ids):
        with db.transaction() as s:
            claim_for_sale(
                s,
                beneficiary_id=who,
                items=[(pid, 1)],
                sale_no=f"B{i}",
                at=at + timedelta(seconds=i),
                actor=ACTOR,
                settings=settings,
            )
    elapsed = time.perf_counter() - t
    print(f"claim_for_sale, one transaction each: {n / elapsed:.0f} per second ({db.dialect})")
    db.dispose()


if __name__ == "__main__":
    main()
