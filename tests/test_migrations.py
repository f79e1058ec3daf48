"""One migrations tree; upgrading a fresh database yields exactly the models' schema."""

from core.db import Database
from pos import migrate


def test_migrations_match_models(database: Database) -> None:
    assert migrate.is_current(database.engine)
    assert migrate.pending_diff(database.engine) == []


def test_upgrade_is_idempotent(database: Database) -> None:
    before = migrate.current_heads(database.engine)
    assert migrate.upgrade(database.engine) == before
