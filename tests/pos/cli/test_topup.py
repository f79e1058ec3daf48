"""`charity topup`: bad months, dry runs, a second run."""

from __future__ import annotations

import pytest

from tests.pos.cli.contract import (
    ON_SQLITE_ONLY,
    Case,
    Outcome,
    Seed,
    c,
    check_case,
    run_cases,
)

pytestmark = ON_SQLITE_ONLY

CASES = [
    # top-up
    c("topup-month-13", "topup", "2026-13", says=("2026-13",), script=True),
    c("topup-short-year", "topup", "26-12", says=("26-12",)),
    c("topup-far-future", "topup", "2099-01", says=("2099-01",), script=True),
    c("topup-empty", "topup", "", says=("YYYY-MM",)),
    c("topup-dry-run", "topup", "{month}", "--dry-run", code=0, script=True),
    c("topup-again", "topup", "{month}", code=0),  # everyone credited: changes nothing
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)
