"""The command line on PostgreSQL where it differs from SQLite: a database without tables, and
numbers beyond PostgreSQL's integer columns. Through the installed script and in-process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.pos.cli.contract import PRODUCTS, charity, environment

TEST_URL = os.environ.get("CHARITY_TEST_DATABASE_URL", "")
ON_POSTGRES = TEST_URL.startswith("postgresql")


@pytest.fixture
def empty_postgres_schema() -> Iterator[str]:
    if not ON_POSTGRES:
        pytest.skip("needs PostgreSQL: set CHARITY_TEST_DATABASE_URL (.ci/run does)")
    engine = create_engine(TEST_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS cli_contract_empty CASCADE"))
        connection.execute(text("CREATE SCHEMA cli_contract_empty"))
    url = make_url(TEST_URL).update_query_dict({"options": "-csearch_path=cli_contract_empty"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS cli_contract_empty CASCADE"))
        engine.dispose()


def test_postgres_before_init_is_one_line(empty_postgres_schema: str, tmp_path: Path) -> None:
    env = environment(empty_postgres_schema)
    for args in (["cards", "list"], ["report", "fund", "2026-01"], ["ledger", "verify"]):
        result = charity(*args, cwd=tmp_path, env=env)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "charity init" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_postgres_number_out_of_range_is_one_line(postgres_only: object, cli: Any) -> None:
    """Stock beyond PostgreSQL's integer column: the database refuses; the command says so in
    one line and exits 1 (it was a traceback)."""
    assert cli("products", "import", str(PRODUCTS), "--commit").exit_code == 0
    barcode = PRODUCTS.read_text(encoding="utf-8").splitlines()[1].split(",")[0]
    for _ in range(2):
        assert cli("products", "receive", barcode, "1000000").exit_code == 0
    result = cli("products", "receive", barcode, "1000000")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "超出" in result.output and len(result.output.strip().splitlines()) == 1
