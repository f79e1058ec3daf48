"""Every hot path against a raw-driver baseline doing the same writes, measured in the same run,
interleaved, medians of 3, printed as one table (issue [13]).

    python bench/run.py [--quick] [--db sqlite] [--check] [--json PATH] [--only NAME,...]

Data sets are built with the project's own services: 100,000 people and cards and about
1,000,000 postings by default; `--quick` uses QUICK sizes (a twentieth, and 1,000 cards issued:
the issue's tenth took over 4 minutes on 2 shared cores). `--check` exits 1 when a goal is missed.
Only SQLite is measured so far (`--db postgresql+psycopg://...` is refused with a message)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import datasets
import workloads_http as served
import workloads_ledger as ledger
import workloads_pos as pos
from harness import ROUNDS, Result, table


@dataclass(frozen=True)
class Sizes:
    people: int
    postings: int
    sales: int
    requests: int
    issue: int  # people the card issue gives a card to
    label: str


FULL = Sizes(100_000, 1_000_000, 500, 2_000, 100_000, "100,000 people, 1,000,000 postings")
QUICK = Sizes(
    5_000, 50_000, 100, 500, 1_000, "quick: 5,000 people (card issue 1,000), 50,000 postings"
)
TINY = Sizes(200, 1_000, 10, 50, 100, "tiny (tests)")

WORKLOADS: dict[str, Callable[[datasets.DataSet, int, Sizes], Result]] = {
    "checkout": lambda d, r, s: pos.checkout_sales(d, r, s.sales),
    "balance": lambda d, r, s: pos.balance_page(d, r, s.requests),
    "balance_http": lambda d, r, s: served.balance_page_served(d, r, s.requests),
    "topup": lambda d, r, s: ledger.monthly_topup(d, r),
    "import_xlsx": lambda d, r, s: pos.roster_import(d, r, "xlsx"),
    "import_csv": lambda d, r, s: pos.roster_import(d, r, "csv"),
    "statement": lambda d, r, s: ledger.month_statement(d, r),
    "verify": lambda d, r, s: ledger.ledger_verify(d, r),
    "issue": lambda d, r, s: ledger.card_issue(d, r, s.issue),
}


def run(
    sizes: Sizes,
    only: Sequence[str] | None = None,
    *,
    rounds: int = ROUNDS,
    folder: Path | None = None,
    log: Callable[[str], None] = print,
) -> list[Result]:
    """Build the data sets in `folder` (a temporary one by default) and run the workloads."""
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        where = folder or Path(tmp)
        started = time.perf_counter()
        log(f"building data sets ({sizes.label}) in {where}")
        data = datasets.build(where, sizes.people, sizes.postings, log=log)
        log(f"  built in {time.perf_counter() - started:.0f} s")
        results = []
        for name, workload in WORKLOADS.items():
            if only and name not in only:
                continue
            t = time.perf_counter()
            result = workload(data, rounds, sizes)
            results.append(result)
            log(f"  {name}: ratio {result.ratio:.2f} ({time.perf_counter() - t:.0f} s)")
        return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data sets (about 3 minutes)")
    parser.add_argument("--db", default="sqlite", help="sqlite (PostgreSQL: not yet)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--only", help="comma-separated workloads: " + ",".join(WORKLOADS))
    args = parser.parse_args(argv)
    if args.db != "sqlite":
        print(
            "bench/run.py 目前只支持 SQLite（--db sqlite）；PostgreSQL 的基准尚未实现",
            file=sys.stderr,
        )
        return 2
    only = args.only.split(",") if args.only else None
    unknown = [n for n in only or [] if n not in WORKLOADS]
    if unknown:
        print(
            f"未知的基准项：{', '.join(unknown)}（可选：{', '.join(WORKLOADS)}）", file=sys.stderr
        )
        return 2
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    results = run(sizes, only, log=lambda s: print(s, file=sys.stderr, flush=True))
    print(f"SQLite, {sizes.label}; medians of {ROUNDS}, interleaved; ratio = project / baseline")
    print(table(results))
    print(f"({time.perf_counter() - started:.0f} s in all)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"db": "sqlite", "sizes": sizes.label, "results": [r.as_json() for r in results]},
                ensure_ascii=False,
                indent=2,
            ),
            encoding="utf-8",
        )
    missed = [r.workload for r in results if r.met is False]
    if args.check and missed:
        print("goals missed: " + "; ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
