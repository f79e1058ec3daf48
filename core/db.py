"""Database plumbing shared by every package: the declarative base, column types, the engine.

SQLite (the default, a file under var/) gets WAL, foreign keys and a busy timeout; PostgreSQL is
reached through psycopg 3. Both run the same models and the same Alembic migrations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that migrations on SQLite and PostgreSQL agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The one declarative base; every package's models derive from it."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: must be aware when written, stored as naive UTC, read back aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class DatabaseUnavailable(Exception):
    """The database URL cannot be reached or opened."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _WriterGate:
    """Writers of one SQLite database, in this process, take turns in arrival order.

    SQLite lets one writer in at a time; the others poll with growing sleeps (the busy handler),
    which makes a busy counter's slowest sales wait hundreds of milliseconds for a lock that was
    free after a few. A process-wide lock queues them instead. It is released as the
    transaction ends; SQLite's own lock still guards against other processes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()

    def begin(self, conn: Any) -> None:
        # A writing unit of work (a request that changes things, a command) begins IMMEDIATE: it
        # takes the write lock at the start, so two terminals never both read a balance and then
        # race to write it (SQLite has no row locks). Reads begin deferred and block nobody (WAL).
        if not conn.get_execution_options().get("sqlite_immediate"):
            conn.exec_driver_sql("BEGIN")
            return
        conn.info["writer_gate"] = self.lock.acquire(timeout=60)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.end(conn)
            raise

    def end(self, conn: Any) -> None:
        if conn.info.pop("writer_gate", False):
            self.lock.release()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`, with the per-dialect settings this project relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=NullPool if database in (None, "", ":memory:") else None,
        )
        # Let SQLAlchemy, not pysqlite, emit BEGIN (so that BEGIN IMMEDIATE is used).
        event.listen(engine, "connect", _disable_pysqlite_transactions)
        event.listen(engine, "connect", _sqlite_pragmas)
        gate = _WriterGate()
        event.listen(engine, "begin", gate.begin)
        event.listen(engine, "commit", gate.end)
        event.listen(engine, "rollback", gate.end)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        # A server that is down or a wrong address answers within seconds, not minutes.
        connect_args={"connect_timeout": 10},
    )


def _disable_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def check_connection(engine: Engine) -> None:
    """Open one connection or raise DatabaseUnavailable with a one-line reason."""
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"无法连接数据库 {engine.url.render_as_string(hide_password=True)}：{reason}"
        ) from None


def is_empty(engine: Engine) -> bool:
    """True when the database has none of our tables."""
    return "staff_user" not in inspect(engine).get_table_names()


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # Same pool; on SQLite its transactions begin IMMEDIATE (see _WriterGate).
        self.write_sessionmaker = sessionmaker(
            self.engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = True) -> Session:
        """A session for a unit of work; `write=False` for one that only reads (on SQLite it
        then begins deferred and never holds the write lock)."""
        return (self.write_sessionmaker if write else self.sessionmaker)()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A writing session that commits at the end of the block, or rolls back on any error."""
        with self.write_sessionmaker() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
