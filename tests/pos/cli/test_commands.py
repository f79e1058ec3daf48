"""The `charity` command line: groups, exit codes, init, users, config and database errors."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from core.auth import StaffUser
from tests.conftest import cli_ok

CONTRACT_GROUPS = [
    "init",
    "serve",
    "user",
    "beneficiaries",
    "cards",
    "topup",
    "products",
    "clothing",
    "report",
    "ledger",
    "backup",
    "store",
]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, input: str | None = None):
    """The installed console script in a subprocess, as a bureau's script would call it."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CHARITY_")}
    full_env.update(env or {})
    exe = Path(sys.executable).parent / "charity"
    return subprocess.run(
        [str(exe), *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        input=input,
        timeout=120,
        check=False,
    )


def test_help_lists_every_contract_group(cli) -> None:
    out = cli_ok(cli("--help"))
    for group in CONTRACT_GROUPS:
        assert group in out


def test_init_twice_is_harmless(tmp_path: Path) -> None:
    env = {"CHARITY_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    first = run("init", cwd=tmp_path, env=env)
    second = run("init", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "最新" in second.stdout


def test_bad_config_value_exits_1_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[discount]\nmax_rate = "ten"\n', encoding="utf-8")
    result = run("init", cwd=tmp_path)
    assert result.returncode == 1
    assert "discount.max_rate" in result.stderr
    assert "Traceback" not in result.stderr


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_database_is_one_line_exit_1(tmp_path: Path) -> None:
    env = {"CHARITY_DATABASE_URL": f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/none"}
    result = run("init", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "无法连接数据库" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_refuses_without_secret_key(tmp_path: Path) -> None:
    env = {"CHARITY_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    result = run("serve", "--port", "5999", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "secret_key" in result.stderr


def test_user_add_from_stdin(cli, database) -> None:
    out = cli_ok(
        cli(
            "user", "add", "wang", "--role", "cashier", "--password-stdin", input="long-enough-pw\n"
        )
    )
    assert "wang" in out
    with database.session() as s:
        user = s.scalar(select(StaffUser).where(StaffUser.username == "wang"))
    assert user is not None and user.role == "cashier"
    again = cli("user", "add", "wang", "--role", "cashier", "--password-stdin", input="x" * 10)
    assert again.exit_code == 1 and "已存在" in again.output


def test_user_add_wrong_role_is_usage_error(cli) -> None:
    assert (
        cli("user", "add", "x", "--role", "boss", "--password-stdin", input="pw\n").exit_code == 2
    )


def test_short_password_is_refused(cli) -> None:
    result = cli("user", "add", "wang", "--role", "cashier", "--password-stdin", input="short\n")
    assert result.exit_code == 1 and "密码" in result.output


def test_backup_makes_a_consistent_copy(cli, tmp_path: Path, database) -> None:
    cli_ok(cli("user", "add", "wang", "--role", "cashier", "--password-stdin", input="pw-123456\n"))
    target = tmp_path / "backup" / "copy.db"
    assert cli("backup", str(target)).exit_code == 1  # a missing folder is not created
    target.parent.mkdir()
    if database.dialect == "postgresql" and shutil.which("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore are not installed; .ci/run runs with them")
    cli_ok(cli("backup", str(target)))
    if database.dialect == "sqlite":
        import sqlite3

        rows = sqlite3.connect(target).execute("select username from staff_user").fetchall()
        assert rows == [("wang",)]
    else:
        listing = subprocess.run(
            ["pg_restore", "--data-only", "--table=staff_user", "--file=-", str(target)],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "wang" in listing.stdout
    assert cli("backup", str(target)).exit_code == 1  # never overwrites


def test_ledger_verify_passes_on_a_fresh_store(cli) -> None:
    assert "核对通过" in cli_ok(cli("ledger", "verify"))
