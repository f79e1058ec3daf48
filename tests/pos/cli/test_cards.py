"""`charity cards ...`: refusals, and what succeeds in the contract's shapes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from stdnum import luhn

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

CASES = [
    # cards
    c("freeze-unknown", "cards", "freeze", "{unknown}", "--reason", "丢失", says=("{unknown}",)),
    c(
        "freeze-check-digit",
        "cards",
        "freeze",
        "{bad_check}",
        "--reason",
        "丢失",
        says=("{bad_check}",),
    ),
    c(
        "freeze-frozen",
        "cards",
        "freeze",
        "{frozen}",
        "--reason",
        "丢失",
        says=("{frozen}",),
        script=True,
    ),
    c("freeze-closed", "cards", "freeze", "{closed}", "--reason", "丢失", says=("{closed}",)),
    c(
        "freeze-empty-reason",
        "cards",
        "freeze",
        "{active}",
        "--reason",
        "",
        says=("原因",),
        script=True,
    ),
    c("freeze-blank-number", "cards", "freeze", " ", "--reason", "丢失", says=("卡号",)),
    c("freeze-no-reason", "cards", "freeze", "{active}", code=2),
    c("replace-closed", "cards", "replace", "{closed}", says=("{closed}",), script=True),
    c("replace-unknown", "cards", "replace", "{unknown}", says=("{unknown}",)),
    c("list-bad-format", "cards", "list", "--format", "json", code=2, script=True),
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)


def test_cards_list_csv_shape(store_copy: tuple[Path, dict[str, str]], seed: Seed) -> None:
    folder, env = store_copy
    result = charity("cards", "list", "--format", "csv", cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["card_no", "id_number", "name", "category", "status", "balance", "qr_url"]
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number[seed.names["frozen"]][4] == "frozen"
    assert by_number[seed.names["closed"]][4] == "closed"
    first = by_number[seed.names["frozen"]]
    assert first[1:4] == ["410108200210030742", "戴文春", "低保"]
    assert first[5] == "50.00"
    assert first[6].startswith("http") and "/b/" in first[6]


def test_replace_prints_only_the_new_number(
    store_copy: tuple[Path, dict[str, str]], seed: Seed
) -> None:
    folder, env = store_copy
    result = charity("cards", "replace", seed.names["frozen"], cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    new = result.stdout.strip()
    assert new.isdigit() and len(new) == 16 and new != seed.names["frozen"] and luhn.is_valid(new)
