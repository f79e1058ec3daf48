"""`charity beneficiaries import` and `set-status` refusing broken rosters and bad input."""

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
    # roster import: broken files
    c(
        "roster-missing",
        "beneficiaries",
        "import",
        "{bad}/nope.csv",
        says=("nope.csv", "不存在"),
        script=True,
    ),
    c("roster-directory", "beneficiaries", "import", "{bad}/folder", says=("folder", "目录")),
    c("roster-empty", "beneficiaries", "import", "{bad}/empty.csv", says=("空",)),
    c("roster-binary", "beneficiaries", "import", "{bad}/binary.csv", says=("编码",)),
    c(
        "roster-corrupt-xlsx",
        "beneficiaries",
        "import",
        "{bad}/corrupt.xlsx",
        says=("corrupt",),
        script=True,
    ),
    c("roster-xls", "beneficiaries", "import", "{bad}/old.xls", says=(".xls",)),
    c("roster-wrong-extension", "beneficiaries", "import", "{bad}/notes.txt", says=("缺少列",)),
    c("roster-utf16", "beneficiaries", "import", "{bad}/utf16.csv", says=("编码",)),
    c(
        "roster-header-only",
        "beneficiaries",
        "import",
        "{bad}/roster_header_only.csv",
        says=("表头",),
        script=True,
    ),
    c(
        "roster-header-only-commit",
        "beneficiaries",
        "import",
        "{bad}/roster_header_only.csv",
        "--commit",
        "--exit-missing",
        says=("表头",),
    ),
    c(
        "roster-missing-column",
        "beneficiaries",
        "import",
        "{bad}/roster_no_id_column.csv",
        says=("第 1 行", "身份证号"),
    ),
    c(
        "roster-mistakes-preview",
        "beneficiaries",
        "import",
        "{bad}/roster_mistakes.csv",
        says=("第 2 行", "第 3 行", "第 4 行", "五保", "第 5 行", "12345", "第 6 行", "第 9 行"),
        script=True,
    ),
    c(
        "roster-mistakes-commit",
        "beneficiaries",
        "import",
        "{bad}/roster_mistakes.csv",
        "--commit",
        says=("第 2 行", "第 3 行", "--skip-invalid"),
        script=True,
    ),
    c(
        "roster-preview-bom-crlf",
        "beneficiaries",
        "import",
        "{bad}/roster_bom_crlf.csv",
        code=0,
        script=True,
    ),
    c("roster-preview-gbk", "beneficiaries", "import", "{bad}/roster_gbk.csv", code=0),
    c(
        "roster-skip-invalid-alone",
        "beneficiaries",
        "import",
        "{bad}/roster_mistakes.csv",
        "--skip-invalid",
        code=2,
        script=True,
    ),
    # people
    c(
        "status-unknown-person",
        "beneficiaries",
        "set-status",
        "110101199003077777",
        "suspended",
        "--reason",
        "外出",
        says=("7777",),
        script=True,
    ),
    c(
        "status-empty-reason",
        "beneficiaries",
        "set-status",
        "410108194312038827",
        "suspended",
        "--reason",
        " ",
        says=("原因",),
    ),
    c(
        "status-same",
        "beneficiaries",
        "set-status",
        "410108194312038827",
        "active",
        "--reason",
        "x",
        says=("正常",),
    ),
    c(
        "status-unknown",
        "beneficiaries",
        "set-status",
        "410108194312038827",
        "gone",
        "--reason",
        "x",
        code=2,
    ),
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)
