"""Configuration, the database, `serve`, wrong usage and `--help`: what every command meets first."""

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
    environment,
    in_process,
    run_cases,
)

pytestmark = ON_SQLITE_ONLY

CASES = [
    # configuration and database
    c("config-missing", "--config", "{dir}/nope.toml", "cards", "list", says=("nope.toml",)),
    c(
        "config-directory",
        "--config",
        "{bad}/folder",
        "cards",
        "list",
        says=("folder",),
        script=True,
    ),
    c("config-broken", "--config", "{bad}/broken.toml", "cards", "list", says=("broken.toml",)),
    c(
        "config-env-missing",
        "cards",
        "list",
        env=(("CHARITY_CONFIG", "{dir}/nope.toml"),),
        says=("nope.toml",),
        script=True,
    ),
    c(
        "before-init-no-file",
        "cards",
        "list",
        url="sqlite:///{dir}/never.db",
        says=("charity init",),
        script=True,
    ),
    c(
        "before-init-empty-db",
        "topup",
        "{month}",
        url="sqlite:///{bad}/existing.db",
        says=("charity init",),
        script=True,
    ),
    c(
        "before-init-backup",
        "backup",
        "{dir}/b.db",
        url="sqlite:///{dir}/never.db",
        says=("charity init",),
    ),
    c(
        "not-a-database",
        "cards",
        "list",
        url="sqlite:///{bad}/not_a_db.db",
        says=("not_a_db.db",),
        script=True,
    ),
    c(
        "unreachable-postgres",
        "cards",
        "list",
        url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        says=("无法连接数据库",),
        script=True,
    ),
    c(
        "config-unknown-key",
        "--config",
        "{bad}/unknown_key.toml",
        "cards",
        "list",
        code=0,
        says=("警告：", "bogus"),
    ),
    c(
        "serve-bad-host",
        "serve",
        "--host",
        "999.1.1.1",
        "--port",
        "5977",
        env=(("CHARITY_SECRET_KEY", "x" * 32), ("CHARITY_DATA_KEY", "A" * 43 + "=")),
        says=("999.1.1.1",),
        script=True,
    ),
    c("unknown-command", "nosuch", code=2, script=True),
]


@pytest.fixture(scope="module")
def outcomes(seed: Seed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_cases(seed, CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_command_line_contract(case: Case, outcomes: dict[str, Outcome], seed: Seed) -> None:
    check_case(case, outcomes[case.id], seed)


def test_refusals_create_nothing(outcomes: dict[str, Outcome]) -> None:
    """A command before `init` does not create the SQLite file."""
    for case_id in ("before-init-no-file", "before-init-backup"):
        folder = outcomes[case_id].folder
        assert not (folder / "never.db").exists()
        assert not (folder / "b.db").exists()


def test_help_reads_well(tmp_path: Path) -> None:
    """`--help` needs neither a config nor a database, and every group lists its commands."""
    env = environment("sqlite:////nonexistent/never.db")
    top = charity("--help", cwd=tmp_path, env=env)
    assert top.returncode == 0 and "Usage:" in top.stdout and not top.stderr
    groups = {
        "user": ["add"],
        "beneficiaries": ["import", "set-status"],
        "cards": ["issue", "list", "freeze", "replace"],
        "products": ["import"],
        "clothing": ["intake"],
        "report": ["fund"],
        "ledger": ["verify", "expire"],
    }
    for group, commands in groups.items():
        assert group in top.stdout
        result = in_process([group, "--help"], tmp_path, env, None)
        assert result.returncode == 0, result.stderr
        for command in commands:
            assert f"  {command} " in result.stdout, (group, result.stdout)
