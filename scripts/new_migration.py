"""Make a new Alembic revision on one package's branch by comparing the models with a scratch
SQLite database migrated to every head.

    python scripts/new_migration.py --branch cards -m "ledger tables"
    python scripts/new_migration.py --branch clothing -m "claims" --depends-on <cards revision>

Read the generated file before committing it: autogenerate does not see renames or data moves.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from alembic import command

from core.db import make_engine
from pos import migrate

BRANCHES = ("kernel", "cards", "inventory", "clothing", "printing", "pos")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branch", required=True, choices=BRANCHES)
    parser.add_argument("-m", "--message", required=True)
    parser.add_argument("--depends-on", action="append", default=[])
    parser.add_argument("--rev-id", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        migrate.upgrade(engine)
        config = migrate.alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            script = command.revision(
                config,
                message=args.message,
                autogenerate=True,
                head=f"{args.branch}@head",
                depends_on=args.depends_on or None,
                rev_id=args.rev_id,
            )
        engine.dispose()
    paths = [s.path for s in (script if isinstance(script, list) else [script]) if s is not None]
    print("\n".join(paths))


if __name__ == "__main__":
    main()
