"""One migrations tree; upgrading a fresh database yields exactly the models' schema."""

from sqlalchemy import text

from core.db import Database
from pos import migrate


def test_migrations_match_models(database: Database) -> None:
    assert migrate.is_current(database.engine)
    assert migrate.pending_diff(database.engine) == []


def test_upgrade_is_idempotent(database: Database) -> None:
    before = migrate.current_heads(database.engine)
    assert migrate.upgrade(database.engine) == before


APPEND_ONLY = ("ledger_posting", "ledger_txn", "stock_movement", "product_price")


def test_append_only_tables_have_their_triggers(database: Database) -> None:
    """The trigger names the migrations have always created (`core.db_migrations.append_only`)."""
    with database.engine.connect() as connection:
        if database.dialect == "sqlite":
            found = connection.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            expected = {f"{t}_no_{a}" for t in APPEND_ONLY for a in ("update", "delete")}
        else:
            found = connection.scalars(
                text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            ).all()
            expected = {f"{t}_append_only" for t in APPEND_ONLY}
    assert expected <= set(found)
