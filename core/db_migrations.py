"""What the Alembic migration scripts (pos/migrations/versions) share: the SQL that makes a table
append-only in the database itself, written once for PostgreSQL and SQLite; and the scrubbing
of freed space after a migration replaced plaintext (a deleted value otherwise lingers in free
pages of the file and in its WAL until overwritten).

The ORM already refuses to change or delete ledger-like rows; these triggers make the database
refuse it too, so that a hand-written statement cannot silently break "balance = sum of entries".
The SQL is exactly what the first migrations wrote by hand, so a database upgraded from any older
revision has the same triggers as a new one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, Engine

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def _checked(*names: str) -> None:
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"not a plain SQL name: {name!r}")


def append_only(*tables: str, function: str, message: str) -> None:
    """Make `tables` refuse UPDATE and DELETE with `message` (Chinese, shown to whoever tries).

    PostgreSQL: one trigger function `function()` (shared by `tables`; its message names the
    table) and a trigger `<table>_append_only` on each table. SQLite: triggers `<table>_no_update`
    and `<table>_no_delete`. Other dialects: nothing (the ORM guard still holds).
    """
    _checked(function, *tables)
    text = message.replace("'", "''")
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{text}（表 %）', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in tables:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {function}()"
            )
    elif dialect == "sqlite":
        for table in tables:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
                )


def drop_append_only(*tables: str, function: str) -> None:
    """Undo `append_only(*tables, function=function, ...)` (for a downgrade)."""
    _checked(function, *tables)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in tables:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    elif dialect == "sqlite":
        for table in tables:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def append_only_except(table: str, *, guarded: Sequence[str], function: str, message: str) -> None:
    """Like `append_only` for one table, but an UPDATE that sets none of the `guarded` columns
    passes (the ledger's keyed hashes are re-keyed by `charity keys rotate`; nothing else of a
    transaction ever changes). Same trigger names as `append_only`, so `drop_append_only` undoes
    it. A new column of `table` must join `guarded` in the migration that adds it.

    PostgreSQL: the trigger `<table>_append_only` (BEFORE DELETE OR UPDATE OF guarded columns)
    calls `function()`, which must exist (made by `append_only`). SQLite: `<table>_no_update`
    (BEFORE UPDATE OF guarded columns) and `<table>_no_delete`."""
    _checked(function, table, *guarded)
    text = message.replace("'", "''")
    columns = ", ".join(guarded)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE DELETE OR UPDATE OF {columns} "
            f"ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"
        )
    elif dialect == "sqlite":
        op.execute(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE OF {columns} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{text}'); END"
        )


def drop_table_guard(table: str) -> None:
    """Drop one table's append-only triggers, keeping the shared PostgreSQL function."""
    _checked(table)
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    elif dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def outside_transaction(connection: Connection, statement: str) -> None:
    """Run a statement on the DBAPI connection itself, outside SQLAlchemy's transaction (SQLite
    ignores `PRAGMA foreign_keys` inside one, and VACUUM refuses to run in one)."""
    raw = connection.connection.driver_connection
    if raw is None:
        raise RuntimeError("the connection has no DBAPI connection")
    raw.execute(statement)


def scrub_freed_space(engine: Engine, *, tables: Sequence[str]) -> None:
    """Rewrite the database so that nothing of deleted or overwritten values is left on disk
    where a copy of the file would find it: SQLite VACUUMs (the file rebuilt without free
    pages) and empties its WAL; PostgreSQL rewrites `tables` (VACUUM FULL, dead row versions
    gone). PostgreSQL's own write-ahead log segments are recycled by the server in time."""
    _checked(*tables)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            outside_transaction(connection, "VACUUM")
            outside_transaction(connection, "PRAGMA wal_checkpoint(TRUNCATE)")
        elif engine.dialect.name == "postgresql":
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            autocommit.exec_driver_sql(f"VACUUM FULL {', '.join(tables)}")
