"""Benchmarks of the cards package on SQLite: a roster import of 100,000 rows and a top-up of
100,000 accounts (plus ledger verify, finding one person by ID number and by name and last four
digits, and re-encrypting everyone under a new data key). Plain Python that prints numbers.

    python bench/bench_cards.py [--rows 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from stdnum.cn import ric

from cards.models import Beneficiary
from cards.services import beneficiaries, personal, roster, topup
from cards.services.verify import verify_ledger
from core.auth import Actor
from core.config import Settings
from core.crypto import FieldCipher
from core.db import Database
from core.keys import DataKeys, new_key_text
from core.periods import Month
from pos import migrate

BENCH_KEYS = DataKeys.from_text(new_key_text())  # a throwaway store's key

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉文春梅云凤"
TOWNS = ["古荥镇", "花园口镇", "刘寨街道", "长兴路街道", "迎宾路街道", "新城街道"]


def make_roster(path: Path, rows: int) -> None:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["序号", "姓名", "身份证号", "类别", "镇街", "村社区", "联系电话", "家庭人口"]
        )
        for n in range(rows):
            born = date(1935, 1, 1) + timedelta(days=n % 30000)  # unique: date and serial
            body = f"410108{born:%Y%m%d}{n // 30000:03d}"
            number = body + ric.calc_check_digit(body + "0")
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.randint(1, 2))
            )
            writer.writerow(
                [
                    n + 1,
                    name,
                    number,
                    rng.choice(["低保", "低保", "优抚", "特困"]),
                    rng.choice(TOWNS),
                    "某社区",
                    f"13{rng.randrange(10**9):09d}",
                    rng.randint(1, 5),
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", help="keep the database and roster in this folder")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench_cards_"))
    folder.mkdir(parents=True, exist_ok=True)
    roster_path = folder / f"roster_{args.rows}.csv"
    t = time.perf_counter()
    make_roster(roster_path, args.rows)
    print(f"generated {args.rows} rows in {time.perf_counter() - t:.2f}s -> {roster_path}")

    db_path = folder / "bench.db"
    db_path.unlink(missing_ok=True)
    db = Database(f"sqlite:///{db_path}")
    migrate.upgrade(db.engine)
    settings = Settings()
    actor = Actor.system("bench")
    at = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    data = roster_path.read_bytes()

    t = time.perf_counter()
    with db.transaction() as session:
        plan = roster.plan_import(
            session,
            data,
            roster_path.name,
            keys=BENCH_KEYS,
            categories=settings.allowance.categories,
            at=at,
            tz=settings.tz,
        )
        parsed = time.perf_counter() - t
        assert not plan.errors, plan.errors[:3]
        roster.apply_import(
            session,
            plan,
            skip_invalid=False,
            exit_missing=False,
            at=at,
            actor=actor,
            tz=settings.tz,
        )
    print(
        f"roster import, {args.rows} rows: {time.perf_counter() - t:.2f}s (read+check+diff {parsed:.2f}s)"
    )

    t = time.perf_counter()
    with db.transaction() as session:
        plan = roster.plan_import(
            session,
            data + b"\n",
            roster_path.name,
            keys=BENCH_KEYS,
            categories=settings.allowance.categories,
            at=at,
            tz=settings.tz,
        )
    print(
        f"re-import preview (no changes: {len(plan.new)} new, {plan.unchanged} unchanged): {time.perf_counter() - t:.2f}s"
    )

    t = time.perf_counter()
    with db.transaction() as session:
        outcome = topup.run_topup(session, settings, Month(2026, 11), at=at, actor=actor)
        assert outcome.run is not None
        people = outcome.run.people
    print(f"top-up of {people} accounts: {time.perf_counter() - t:.2f}s")

    t = time.perf_counter()
    with db.transaction() as session:
        again = topup.run_topup(session, settings, Month(2026, 11), at=at, actor=actor)
    print(
        f"second top-up run, same month (credits {again.preview.people}): {time.perf_counter() - t:.2f}s"
    )

    t = time.perf_counter()
    with db.session() as session:
        result = verify_ledger(session)
    print(f"ledger verify: {time.perf_counter() - t:.2f}s ({result.summary})")

    with db.session(write=False) as session:
        sample = session.scalars(select(Beneficiary).limit(1)).one()
        number = personal.id_number_of(FieldCipher(BENCH_KEYS), sample)
        t = time.perf_counter()
        for _ in range(1000):
            beneficiaries.find_beneficiary(session, number, keys=BENCH_KEYS)
        by_id = (time.perf_counter() - t) / 1000
        t = time.perf_counter()
        for _ in range(100):
            found = beneficiaries.find_by_name_and_last4(
                session, sample.name, number[-4:], keys=BENCH_KEYS
            )
        by_name = (time.perf_counter() - t) / 100
    print(
        f"find by ID number: {by_id * 1000:.2f} ms; by name and last four: "
        f"{by_name * 1000:.2f} ms ({len(found)} found)"
    )

    t = time.perf_counter()
    with db.transaction() as session:
        done = personal.rotate_keys(
            session, old=BENCH_KEYS, new=DataKeys.from_text(new_key_text()), actor=actor, at=at
        )
    print(f"keys rotate, {done.people} people: {time.perf_counter() - t:.2f}s")
    db.dispose()


if __name__ == "__main__":
    main()
