"""`charity report fund` and `charity backup`: refusals, and the files they write where asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pos.cli.contract import (
    ON_SQLITE_ONLY,
    Case,
    Outcome,
    Seed,
    c,
    charity,
    check_case,
    fingerprint,
    run_cases,
)

pytestmark = ON_SQLITE_ONLY

CASES = [
    # fund report
    c("report-month-13", "report", "fund", "2026-13", says=("2026-13",)),
    c("report-far-future", "report", "fund", "2099-01", says=("2099-01",), script=True),
    c(
        "report-xlsx-missing-folder",
        "report",
        "fund",
        "{month}",
        "--xlsx",
        "{dir}/nowhere/r.xlsx",
        says=("nowhere",),
        script=True,
    ),
    c(
        "report-xlsx-under-a-file",
        "report",
        "fund",
        "{month}",
        "--xlsx",
        "{bad}/a_file/r.xlsx",
        says=("a_file",),
    ),
    c(
        "report-xlsx-directory",
        "report",
        "fund",
        "{month}",
        "--xlsx",
        "{bad}/folder",
        says=("folder",),
    ),
    c(
        "report-xlsx-wrong-extension",
        "report",
        "fund",
        "{month}",
        "--xlsx",
        "{dir}/r.csv",
        says=("r.csv",),
    ),
    # backup
    c("backup-exists", "backup", "{bad}/a_file", says=("a_file", "已存在"), script=True),
    c("backup-missing-folder", "backup", "{dir}/nowhere/b.db", says=("nowhere",), script=True),
    c("backup-under-a-file", "backup", "{bad}/a_file/b.db", says=("a_file",)),
    c("backup-directory", "backup", "{bad}/folder", says=("folder",)),
    c("backup-empty-path", "backup", "", says=("路径",)),
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)


def test_refusals_create_nothing(outcomes: dict[str, Outcome]) -> None:
    """A refused backup or report leaves no file behind."""
    for case_id in ("report-xlsx-missing-folder", "backup-missing-folder"):
        assert not (outcomes[case_id].folder / "nowhere").exists()
    assert not (outcomes["report-xlsx-wrong-extension"].folder / "r.csv").exists()


def test_report_xlsx_and_backup_write_where_asked(
    store_copy: tuple[Path, dict[str, str]], seed: Seed
) -> None:
    folder, env = store_copy
    month = seed.names["month"]
    report = charity("report", "fund", month, "--xlsx", str(folder / "r.xlsx"), cwd=folder, env=env)
    assert report.returncode == 0, report.stderr
    assert (folder / "r.xlsx").read_bytes()[:2] == b"PK"
    backup = charity("backup", str(folder / "copy.db"), cwd=folder, env=env)
    assert backup.returncode == 0, backup.stderr
    assert fingerprint(folder / "copy.db") == fingerprint(folder / "store.db")
