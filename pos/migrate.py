"""Schema migrations: `charity init` upgrades to every branch head; a developer script makes new
revisions. The tree has a root (the kernel's tables) and one branch per package, labelled
`cards`, `inventory`, `clothing`, `pos`, so that packages can grow their tables independently;
a revision that needs another package's table says so with `depends_on`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

import cards.models
import clothing_exchange.models
import core.audit
import core.auth
import core.stores
import inventory.models
import pos.models
import pos.printing.models
from core.db import Base
from core.db_migrations import outside_transaction, scrub_freed_space
from core.keys import DataKeys

# Imported for their side effect: their tables join Base.metadata.
_MODEL_MODULES = (
    core.audit,
    core.stores,
    core.auth,
    cards.models,
    inventory.models,
    clothing_exchange.models,
    pos.models,
    pos.printing.models,
)

target_metadata: MetaData = Base.metadata

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(
    engine: Engine,
    *,
    keys: Callable[[], DataKeys] | None = None,
    notes: list[str] | None = None,
) -> list[str]:
    """Bring the database to the current schema (every branch head), in one transaction;
    returns the heads. `keys` gives the data keys to a migration that encrypts existing rows
    (asked only then: a new or already encrypted store needs none); afterwards the freed pages
    that held their plaintext are scrubbed. What a data migration did is added to `notes`.

    On SQLite, foreign keys are off while migrating (a table that others reference is rebuilt
    by copying it, which SQLite's foreign keys would refuse) and checked before the commit."""
    config = alembic_config(engine)
    config.attributes["data_keys"] = keys
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:  # outside any transaction, or SQLite ignores it
            outside_transaction(connection, "PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                outside_transaction(connection, "PRAGMA foreign_keys=ON")
    scrubbed = config.attributes.get("plaintext_removed")
    if scrubbed:
        scrub_freed_space(engine, tables=list(scrubbed))
    if notes is not None:
        notes.extend(config.attributes.get("notes", []))
    return current_heads(engine)


def current_heads(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(MigrationContext.configure(connection).get_current_heads())


def script_heads(engine: Engine) -> list[str]:
    return sorted(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def is_current(engine: Engine) -> bool:
    """Every script head is applied. Compared through the revision graph, not as lists: once a
    revision `depends_on` another branch's head, Alembic keeps only the dependent one in
    alembic_version, so the raw heads differ although nothing is pending."""
    current = tuple(current_heads(engine))
    script = ScriptDirectory.from_config(alembic_config(engine))
    applied = {rev.revision for rev in script.revision_map.iterate_revisions(current, "base")}
    return all(head in applied for head in script.get_heads())


def pending_diff(engine: Engine) -> list[object]:
    """What the models have that the migrated database lacks (empty when they agree)."""
    from alembic.autogenerate import compare_metadata

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        env = EnvironmentContext(alembic_config(engine), script)
        env.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        migration_context = env.get_context()
        return list(compare_metadata(migration_context, target_metadata))
