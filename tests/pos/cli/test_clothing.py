"""`charity clothing intake` refusing broken intake files."""

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
    # clothing intake
    c("clothing-missing", "clothing", "intake", "{bad}/nope.csv", says=("nope.csv",)),
    c("clothing-directory", "clothing", "intake", "{bad}/folder", says=("目录",)),
    c("clothing-empty", "clothing", "intake", "{bad}/empty.csv", says=("empty.csv",)),
    c(
        "clothing-header-only",
        "clothing",
        "intake",
        "{bad}/clothing_header_only.csv",
        says=("表头",),
        script=True,
    ),
    c(
        "clothing-missing-column",
        "clothing",
        "intake",
        "{bad}/clothing_no_batch.csv",
        says=("批次",),
    ),
    c(
        "clothing-mistakes",
        "clothing",
        "intake",
        "{bad}/clothing_mistakes.csv",
        "--commit",
        says=("第 2 行", "日期", "第 3 行", "重量", "第 4 行", "西装"),
        script=True,
    ),
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)
