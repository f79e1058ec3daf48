"""Issue [10]'s "done when" at store size: a generated two-month store (200 people, the demo
catalog) with thousands of card and cash sales across November and December 2026 made through
the checkout service (bench/books_store.py), refunds across the month boundary, an expiry, category
changes, adjustments under dual control, both months closed and later changes after the closes.
Prints both fund statements, whether each balances (and matches an independent sum of the sales
and refunds), the seals, that November reads back identically, `charity ledger verify` with
the closed-months check, then each tampering case on a copy of the database
(bench/books_tamper.py) with the first problem verify finds; and the time of each phase.

    python bench/bench_books.py [--sales 3000] [--db URL] [--keep DIR]

SQLite in a temporary folder by default; `--db` takes an empty PostgreSQL database
(postgresql+psycopg://...), where the tampering cases are skipped (they need a copy of the file).
Exit status 0 when every statement balances, verify passes and every tampering case is caught.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from books_store import Generated, Store
from books_tamper import CASES, Books, run_case, verify

from cards.services.fund_statement import compute_statement, fund_statement
from cards.services.seals import current_seal
from core.auth import StaffUser
from core.config import Settings
from core.db import Database
from core.keys import DataKeys, new_key_text
from core.money import Money
from core.periods import Month
from pos import migrate
from pos.app import build_hooks
from pos.models import Refund, Sale

BENCH_KEYS = DataKeys.from_text(new_key_text())  # a throwaway store's key
MONTHS = ("2026-11", "2026-12")
SHOWN: tuple[str, ...] = ("total", "categories", "stores", "charity_discount", "purchases")
SHOWN += ("shoppers", "clothing_items")
COMPARED = ("total", "categories", *SHOWN[2:])
# Unspent credit lapses after its month; each roster category its own monthly amount.
ALLOWANCE = {
    "unspent": "expire",
    "expire_after_months": 1,
    "by_category": {"低保": "100.00", "优抚": "80.00", "特困": "150.00"},
}


class Timings:
    def __init__(self) -> None:
        self.phases: list[tuple[str, float]] = []

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t = time.perf_counter()
        yield
        seconds = time.perf_counter() - t
        self.phases.append((name, seconds))
        print(f"  [{seconds:7.2f}s] {name}", flush=True)


def independent(session: Session, settings: Settings, month: Month) -> dict[str, int]:
    """The month's card spending and card refunds summed straight from the sale and refund
    rows (store time), not from the ledger."""
    start = datetime(month.year, month.month, 1, tzinfo=settings.tz)
    end_month = month.next()
    end = datetime(end_month.year, end_month.month, 1, tzinfo=settings.tz)
    spent = session.scalar(
        select(func.coalesce(func.sum(Sale.paid_card_fen), 0)).where(
            Sale.at >= start, Sale.at < end
        )
    )
    refunded = session.scalar(
        select(func.coalesce(func.sum(Refund.card_fen), 0)).where(
            Refund.at >= start, Refund.at < end
        )
    )
    return {"spent": int(spent or 0), "refunded": int(refunded or 0)}


def identity(total: dict[str, Any]) -> str:
    f = {k: Money.parse(v).fen for k, v in total.items() if k != "people"}
    expected = (
        f["opening"] + f["credited"] - f["spent"] + f["refunded"] - f["lapsed"] + f["adjustments"]
    )
    return (
        f"期初 {total['opening']} + 充值 {total['credited']} - 消费 {total['spent']} + 退款 "
        f"{total['refunded']} - 过期 {total['lapsed']} + 调整 {total['adjustments']} = "
        f"{Money(expected)}；期末 {total['closing']}"
        + ("  平衡" if expected == f["closing"] else f"  差额 {Money(f['closing'] - expected)}")
    )


def report(db: Database, books: Books, out: Generated, timed: Timings) -> bool:
    """Print the statements, the read-back, verify; True when all is well."""
    good = True
    with timed("statements, read back, independent sums"), db.session(write=False) as s:
        statements = {
            m: fund_statement(s, books.settings, Month.parse(m), books.hooks).to_json()
            for m in MONTHS
        }
        fresh = {}
        for m in MONTHS:
            again = compute_statement(s, books.settings, Month.parse(m), books.hooks)
            again.closed = True
            fresh[m] = again.to_json()
        sums = {m: independent(s, books.settings, Month.parse(m)) for m in MONTHS}
        seal_now = str(current_seal(s))
    for m in MONTHS:
        data = statements[m]
        print(f"\n== 资金月报 {m}（{'已结账' if data['closed'] else '未结账'}）==")
        for key in SHOWN:
            print(f"  {key}: {json.dumps(data[key], ensure_ascii=False)}")
        print(f"  {identity(data['total'])}")
        total = data["total"]
        match = all(Money.parse(total[k]).fen == v for k, v in sums[m].items())
        print(
            f"  与销售/退货单独立求和：卡消费 {Money(sums[m]['spent'])}，卡退款 "
            f"{Money(sums[m]['refunded'])} -> {'一致' if match else '不一致'}"
        )
        balanced = bool(data["balanced"])
        print(f"  STATEMENT {m}: {'balanced' if balanced else 'NOT BALANCED'}")
        good = good and balanced and match and bool(data["closed"])
    nov, dec = statements["2026-11"], statements["2026-12"]
    carried = dec["total"]["opening"] == nov["total"]["closing"]
    print(f"\n12 月期初 {dec['total']['opening']} = 11 月期末 {nov['total']['closing']}: {carried}")
    print(f"封印：2026-11 {out.seals['2026-11']}，2026-12 {out.seals['2026-12']}，当前 {seal_now}")
    for m in MONTHS:
        same = statements[m] == out.closes[m]
        recomputed = all(fresh[m][k] == out.closes[m][k] for k in COMPARED)
        print(
            f"{m} 结账后又有变化（类别变更、之后的销售、退款、调整、充值）："
            f"读出与结账时相同 {same}，重新计算与结账时相同 {recomputed}"
        )
        good = good and same and recomputed
    good = good and carried
    with timed("ledger verify (all checks, closed months, three seals)"):
        seals = [out.seals["2026-11"], out.seals["2026-12"], seal_now]
        problems = verify(db, books, seals)
    print(f"ledger verify: {'核对通过' if not problems else f'{len(problems)} 处问题'}")
    for problem in problems[:5]:
        print(f"  - {problem}")
    print(f"VERIFY: {'passed' if not problems else 'FAILED'}")
    return good and not problems


def tamper(db_path: Path | None, folder: Path, books: Books, timed: Timings) -> bool | None:
    """Each tampering case on a copy; True when verify caught every one, None when skipped."""
    print("\n== 篡改（每种在数据库副本上，触发器已删除）==")
    if db_path is None:
        print("PostgreSQL: tampering cases skipped (they run on a copy of the SQLite file)")
        return None
    caught_all = True
    for name, case in CASES:
        with timed(f"tamper: {name}"):
            caught = run_case(db_path, folder, name, case, books)
        ok = bool(caught.problems)
        caught_all = caught_all and ok
        print(f"  {caught.what}")
        first = caught.problems[0] if caught.problems else "—"
        print(
            f"  TAMPER {name}: {'caught' if ok else 'NOT CAUGHT'} "
            f"(verify exit {1 if ok else 0}, {len(caught.problems)} problems) first: {first}"
        )
    return caught_all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=3000, help="sales over the two months")
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--keep", help="keep the SQLite database in this folder")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="bench_books_"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = None if args.db else folder / "books.db"
    if db_path is not None:
        db_path.unlink(missing_ok=True)
    url = args.db or f"sqlite:///{db_path}"
    db = Database(url)
    timed = Timings()
    start = time.perf_counter()
    with timed("migrate"):
        migrate.upgrade(db.engine)
    with db.session(write=False) as session:
        if session.scalar(select(func.count(StaffUser.id))):
            print(f"{url.split('@')[-1]} is not empty: give an empty database", file=sys.stderr)
            return 2
    settings = Settings().with_overrides(allowance=ALLOWANCE)
    books = Books(settings, build_hooks(settings), BENCH_KEYS)
    print(f"two-month store on {db.dialect} ({url.split('@')[-1]}), {args.sales} sales")
    out = Store(db, settings, BENCH_KEYS, books.hooks, sales=args.sales).run(timed)
    print(
        f"made {out.sales} sales ({args.sales} in November-December, the rest on 1 January): "
        f"{out.card_sales} paid by card (wholly or partly), {out.cash_sales} in cash only "
        f"({out.without_card} of them without a card); {out.refunds} refunds "
        f"({out.refunds_across_months} in a later month than the sale)"
    )
    print(f"adjustments: {json.dumps(out.adjustments, ensure_ascii=False)}")
    print(f"category changes: {'；'.join(out.category_changes)}")
    print(f"top-up 2026-12 on 2026-11-30 refused: {out.early_topup_refused}")
    good = report(db, books, out, timed)
    db.dispose()
    caught = tamper(db_path, folder, books, timed)
    print(f"\nRESULT statements balanced and verify passed: {good}")
    print(f"RESULT every tampering case caught: {'skipped' if caught is None else caught}")
    print(f"total {time.perf_counter() - start:.1f}s")
    return 0 if good and caught is not False else 1


if __name__ == "__main__":
    sys.exit(main())
