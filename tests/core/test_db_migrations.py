"""The migrations' append-only helper: the database itself refuses UPDATE and DELETE."""

from collections.abc import Iterator

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DatabaseError

from core.db import Database
from core.db_migrations import append_only, drop_append_only

MESSAGE = "探针记录只能追加，不能修改或删除"


def _migrating(connection: Connection, step: str) -> None:
    with Operations.context(MigrationContext.configure(connection)):
        if step == "create":
            append_only("probe_a", "probe_b", function="probe_append_only", message=MESSAGE)
        else:
            drop_append_only("probe_a", "probe_b", function="probe_append_only")


@pytest.fixture
def sqlite_connection() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def _exercise(connection: Connection) -> None:
    for table in ("probe_a", "probe_b"):
        connection.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v INTEGER)"))
        connection.execute(text(f"INSERT INTO {table} (id, v) VALUES (1, 1)"))
    _migrating(connection, "create")
    for table in ("probe_a", "probe_b"):
        connection.execute(text(f"INSERT INTO {table} (id, v) VALUES (2, 2)"))  # appending is fine
        for statement in (f"UPDATE {table} SET v = 3", f"DELETE FROM {table}"):
            with pytest.raises(DatabaseError, match=MESSAGE), connection.begin_nested():
                connection.execute(text(statement))
    _migrating(connection, "drop")
    for table in ("probe_a", "probe_b"):
        connection.execute(text(f"UPDATE {table} SET v = 3"))
        connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text(f"DROP TABLE {table}"))


def test_append_only_on_sqlite(sqlite_connection: Connection) -> None:
    with sqlite_connection.begin():
        _exercise(sqlite_connection)
        names = sqlite_connection.scalars(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        assert names == []


def test_append_only_on_postgres(postgres_only: Database) -> None:
    with postgres_only.engine.connect() as connection:
        transaction = connection.begin()
        try:
            _exercise(connection)
            left = connection.scalar(
                text("SELECT count(*) FROM pg_proc WHERE proname = 'probe_append_only'")
            )
            assert left == 0
        finally:
            transaction.rollback()  # nothing of the probe stays behind


def test_names_are_checked() -> None:
    with pytest.raises(ValueError, match="SQL name"):
        append_only("ledger; DROP TABLE x", function="f", message="m")
