"""Shared plumbing of bench/run.py: template databases copied per run, rows a project run wrote
captured so that a raw-driver baseline can make exactly the same writes, interleaved timing with
medians of 3, and peak memory.

SQLite only for the copy-and-replay machinery (a template is a file copied before each run)."""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.db import Base, Database
from core.keys import DataKeys, new_key_text

BENCH_KEYS = DataKeys.from_text(new_key_text())  # a throwaway store's key
ROUNDS = 3


@dataclass
class Result:
    """One row of the table. `kind` "rate": project and baseline are per-second figures and the
    ratio is project / baseline (higher is better); "time": seconds, ratio project / baseline
    (lower is better)."""

    workload: str
    kind: str
    project: float
    baseline: float
    goal: float | None  # rate: minimum ratio; time: maximum ratio
    unit: str = ""
    memory_mb: float | None = None
    memory_goal_mb: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.project / self.baseline if self.baseline else float("inf")

    @property
    def met(self) -> bool | None:
        if self.goal is None and self.memory_goal_mb is None:
            return None
        ok = True
        if self.goal is not None:
            ok = self.ratio >= self.goal if self.kind == "rate" else self.ratio <= self.goal
        if self.memory_goal_mb is not None and self.memory_mb is not None:
            ok = ok and self.memory_mb < self.memory_goal_mb
        return ok

    def as_row(self) -> dict[str, str]:
        def fig(v: float) -> str:
            return f"{v:,.1f} {self.unit}/s" if self.kind == "rate" else f"{v:.3f} s"

        ratio = f"{self.ratio:.0%}" if self.kind == "rate" else f"{self.ratio:.2f}x"
        goal = ""
        if self.goal is not None:
            goal = f">= {self.goal:.0%}" if self.kind == "rate" else f"<= {self.goal:g}x"
        if self.memory_goal_mb is not None:
            goal += f", < {self.memory_goal_mb:g} MB"
        project = fig(self.project)
        if self.memory_mb is not None:
            project += f", {self.memory_mb:.0f} MB"
        met = {None: "-", True: "yes", False: "NO"}[self.met]
        workload = self.workload + (f" ({self.note})" if self.note else "")
        return {
            "workload": workload,
            "project": project,
            "baseline": fig(self.baseline),
            "ratio": ratio,
            "goal": goal or "-",
            "met": met,
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "kind": self.kind,
            "project": self.project,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "goal": self.goal,
            "memory_mb": self.memory_mb,
            "memory_goal_mb": self.memory_goal_mb,
            "met": self.met,
            "note": self.note,
            **self.extra,
        }


COLUMNS = ("workload", "project", "baseline", "ratio", "goal", "met")


def table(results: Sequence[Result]) -> str:
    """A Markdown table of the results."""
    rows = [r.as_row() for r in results]
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) if rows else len(c) for c in COLUMNS}
    lines = [
        "| " + " | ".join(c.ljust(widths[c]) for c in COLUMNS) + " |",
        "|" + "|".join("-" * (widths[c] + 2) for c in COLUMNS) + "|",
    ]
    lines += ["| " + " | ".join(r[c].ljust(widths[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines)


class Template:
    """A migrated SQLite file built once; `copy()` gives a fresh file for one run."""

    def __init__(self, folder: Path, name: str) -> None:
        self.path = folder / f"{name}.db"
        self.folder = folder
        self._n = 0

    def url(self, path: Path | None = None) -> str:
        return f"sqlite:///{path or self.path}"

    def save_from(self, db: Database) -> None:
        db.dispose()  # checkpoints the WAL into the file

    def copy(self) -> Path:
        self._n += 1
        target = self.folder / f"{self.path.stem}_run{self._n}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        shutil.copyfile(self.path, target)
        return target


def tables() -> list[str]:
    import pos.app  # noqa: F401  (every package's models on Base.metadata)

    return [t.name for t in Base.metadata.sorted_tables]


def rowid_marks(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {
            t: conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {t}").fetchone()[0]
            for t in tables()
        }


@dataclass
class Captured:
    """The rows a project run inserted, table by table in foreign-key order."""

    rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]]

    def count(self) -> int:
        return sum(len(r) for _, r in self.rows.values())


def capture(path: Path, marks: dict[str, int]) -> Captured:
    out: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    with sqlite3.connect(path) as conn:
        for t in tables():
            cur = conn.execute(f"SELECT * FROM {t} WHERE rowid > ? ORDER BY rowid", (marks[t],))
            rows = cur.fetchall()
            if rows:
                out[t] = ([d[0] for d in cur.description], rows)
    return Captured(out)


def insert_sql(table_name: str, columns: Sequence[str]) -> str:
    return (
        f"INSERT INTO {table_name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )


def raw_connect(path: Path) -> sqlite3.Connection:
    """The raw driver as the project configures it: WAL, foreign keys on, autocommit off."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def replay(conn: sqlite3.Connection, captured: Captured) -> None:
    """executemany of every captured row (the caller owns the transaction)."""
    for t, (columns, rows) in captured.rows.items():
        conn.executemany(insert_sql(t, columns), rows)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def peak_mb(fn: Callable[[], object]) -> float:
    """Peak Python memory of one call (tracemalloc; the run is slower, so it is not timed)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def interleaved(
    project: Callable[[], float], baseline: Callable[[], float], rounds: int = ROUNDS
) -> tuple[float, float]:
    """Medians of `rounds` of each, run one after the other (each callable returns its own
    measured seconds, preparation excluded)."""
    p: list[float] = []
    b: list[float] = []
    for _ in range(rounds):
        p.append(project())
        b.append(baseline())
    return statistics.median(p), statistics.median(b)
