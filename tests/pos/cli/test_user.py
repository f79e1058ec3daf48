"""`charity user add` refusing to read a password it cannot read."""

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
    # staff accounts
    c(
        "user-stdin-closed",
        "user",
        "add",
        "wang",
        "--role",
        "cashier",
        "--password-stdin",
        close_stdin=True,
        says=("标准输入",),
    ),
    c(
        "user-stdin-empty",
        "user",
        "add",
        "wang",
        "--role",
        "cashier",
        "--password-stdin",
        stdin="",
        says=("标准输入",),
        script=True,
    ),
    c(
        "user-no-terminal",
        "user",
        "add",
        "wang",
        "--role",
        "cashier",
        says=("--password-stdin",),
        script=True,
    ),
    c(
        "user-short-password",
        "user",
        "add",
        "wang",
        "--role",
        "cashier",
        "--password-stdin",
        stdin="short\n",
        says=("密码",),
    ),
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)
