"""bench/run.py at its smallest sizes: the harness builds its data sets with the project's own
services, times the project against the raw baseline and prints the table (issue [13])."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"

pytestmark = pytest.mark.slow


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(BENCH))
    before = set(sys.modules)
    import run

    yield run
    for name in set(sys.modules) - before:  # bench/ modules have plain names: forget them
        if getattr(sys.modules[name], "__file__", "") and str(BENCH) in str(
            sys.modules[name].__file__
        ):
            del sys.modules[name]


def test_table_has_the_columns_and_a_ratio(bench, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from harness import COLUMNS, table

    results = bench.run(
        bench.TINY, ["topup", "verify"], rounds=1, folder=tmp_path, log=lambda _: None
    )
    assert [r.workload.split(",")[0] for r in results] == ["monthly top-up", "ledger verify"]
    for r in results:
        assert r.project > 0 and r.baseline > 0
        assert r.ratio == pytest.approx(r.project / r.baseline)
        assert r.met in (True, False)
        assert r.memory_mb is not None
    lines = table(results).splitlines()
    assert [c.strip() for c in lines[0].strip("|").split("|")] == list(COLUMNS)
    assert len(lines) == 2 + len(results)
    ratio = lines[2].strip("|").split("|")[3].strip()
    assert ratio.endswith("x") and float(ratio[:-1]) > 0


def test_check_and_json(bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bench, "QUICK", bench.TINY)
    out = tmp_path / "figures.json"
    code = bench.main(["--quick", "--only", "statement", "--json", str(out)])
    assert code == 0  # the statement has no ratio goal: nothing to miss
    figures = json.loads(out.read_text(encoding="utf-8"))
    (result,) = figures["results"]
    assert result["workload"].startswith("fund statement of a month")
    assert result["ratio"] > 0
    assert "| workload" in capsys.readouterr().out
    assert bench.main(["--db", "postgresql+psycopg://x/y"]) == 2
    assert bench.main(["--only", "nonsense"]) == 2
