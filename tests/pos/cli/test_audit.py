"""`charity audit` (the control log: json `[{at, actor, kind, subject, detail}]`, filters by day
and kind), and the refusals of the personal-data commands (`audit`, `keys rotate`, commands that
need the data key) in the contract's shape: exit 1 and one Chinese line, nothing changed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.pos.cli.contract import (
    ON_SQLITE_ONLY,
    Case,
    Outcome,
    Seed,
    c,
    charity,
    check_case,
    run_cases,
)

pytestmark = ON_SQLITE_ONLY

NO_KEY = (("CHARITY_DATA_KEY", ""),)

CASES = [
    c("audit-bad-since", "audit", "--since", "2026-13-01", says=("--since", "2026-13-01")),
    c("audit-since-not-a-date", "audit", "--since", "昨天", says=("YYYY-MM-DD",), script=True),
    c("audit-since-compact", "audit", "--since", "20261201", says=("20261201",)),
    c("audit-unknown-kind", "audit", "--kind", "logins", says=("logins", "login")),
    c("audit-bad-format", "audit", "--format", "csv", code=2),
    c("rotate-no-new-key", "keys", "rotate", says=("CHARITY_NEW_DATA_KEY",), script=True),
    c("rotate-bad-new-key", "keys", "rotate", "--new-key-stdin", stdin="abc\n", says=("新密钥",)),
    c(
        "rotate-without-old-key",
        "keys",
        "rotate",
        "--new-key-stdin",
        stdin="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        env=NO_KEY,
        says=("data_key",),
    ),
    c("list-without-key", "cards", "list", "--format", "csv", env=NO_KEY, says=("data_key",)),
    c(
        "import-without-key",
        "beneficiaries",
        "import",
        "{bad}/roster_gbk.csv",
        "--commit",
        env=NO_KEY,
        says=("data_key",),
        script=True,
    ),
    c(
        "set-status-without-key",
        "beneficiaries",
        "set-status",
        "410108200210030742",
        "suspended",
        "--reason",
        "x",
        env=NO_KEY,
        says=("data_key",),
    ),
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)


def test_audit_json_lists_the_seeded_day(
    store_copy: tuple[Path, dict[str, str]], seed: Seed
) -> None:
    folder, env = store_copy
    result = charity("audit", "--format", "json", cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)
    assert {"at", "actor", "kind", "subject", "detail"} <= set(events[0])
    kinds = [e["kind"] for e in events]
    for kind in ("roster_import", "card_issue", "export", "card_freeze", "card_replace"):
        assert kind in kinds, kinds
    assert kinds.count("card_issue") == 5
    freeze = next(e for e in events if e["kind"] == "card_freeze")
    assert freeze["subject"] == f"card:{seed.names['frozen']}"
    assert freeze["detail"]["reason"] == "丢失" and freeze["actor"].startswith("cli:")
    assert datetime.fromisoformat(freeze["at"]).tzinfo is not None
    export = next(e for e in events if e["kind"] == "export")
    assert export["detail"]["format"] == "csv"
    # no ID number anywhere in the log
    assert "410108200210030742" not in result.stdout


def test_audit_filters_by_kind_and_day(store_copy: tuple[Path, dict[str, str]], seed: Seed) -> None:
    folder, env = store_copy
    only = charity("audit", "--kind", "card_replace", "--format", "json", cwd=folder, env=env)
    assert [e["kind"] for e in json.loads(only.stdout)] == ["card_replace"]
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    later = charity(
        "audit", "--since", tomorrow.isoformat(), "--format", "json", cwd=folder, env=env
    )
    assert later.returncode == 0 and json.loads(later.stdout) == []
    table = charity("audit", "--kind", "card_freeze", cwd=folder, env=env)
    assert table.returncode == 0
    lines = table.stdout.strip().splitlines()
    assert len(lines) == 2 and "card_freeze" in lines[0] and lines[-1] == "共 1 条"
