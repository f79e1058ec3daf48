"""bench/bench_books.py at a tiny size (`--sales 200`), run as the command an operator runs: both
months' statements balance and match the independent sums, November and December read back
identically after the later changes, verify passes, and every tampering case makes verify fail."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_books.py"


@pytest.mark.slow
def test_the_books_bench_balances_and_catches_every_tampering(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sales", "200", "--keep", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "Traceback" not in done.stderr
    for month in ("2026-11", "2026-12"):
        assert f"STATEMENT {month}: balanced" in out
        assert f"{month} 结账后又有变化" in out
    assert out.count("读出与结账时相同 True，重新计算与结账时相同 True") == 2
    assert "与销售/退货单独立求和" in out and "不一致" not in out
    assert "VERIFY: passed" in out
    tampered = [line for line in out.splitlines() if line.strip().startswith("TAMPER ")]
    assert len(tampered) == 5, tampered
    assert all(": caught (verify exit 1" in line for line in tampered), tampered
    assert "RESULT every tampering case caught: True" in out
    across = re.search(r"\((\d+) in a later month than the sale\)", out)
    assert across is not None and int(across.group(1)) >= 2, out
