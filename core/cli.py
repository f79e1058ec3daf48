"""What every package's command line shares: the loaded settings and database, the clock, and the
rule that a refusal prints one line on stderr and exits 1 (never a traceback).

Command groups of each package are plain `click.Group`s; `pos.cli` gathers them under `charity`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

import click
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import ConfigError, Settings, load_settings
from core.db import Database, DatabaseUnavailable, check_connection
from core.errors import DomainError
from core.money import MoneyError
from core.periods import PeriodError


@dataclass
class CliContext:
    """Settings and database, loaded on first use so that `--help` needs neither."""

    config_path: str | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _settings: Settings | None = None
    _db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database.url)
            check_connection(self._db.engine)
        return self._db

    def now(self) -> datetime:
        return self.clock()

    @property
    def actor(self) -> Actor:
        """Commands act as `cli:<os user>`: the bureau's own machine, recorded on every row."""
        return Actor.cli()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One all-or-nothing unit of work: commits at the end, rolls back on any error."""
        with self.db.transaction() as session:
            yield session


def cli_context() -> CliContext:
    ctx = click.get_current_context()
    obj = ctx.find_object(CliContext)
    if obj is None:  # a group invoked on its own (tests): defaults
        obj = ctx.ensure_object(CliContext)
    return obj


def fail(message: str) -> NoReturn:
    """Refuse: message on stderr, exit 1."""
    click.echo(message, err=True)
    sys.exit(1)


class CharityGroup(click.Group):
    """The top-level group: turns every expected refusal into one line and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            fail(f"错误：{exc.message}")
        except (ConfigError, DatabaseUnavailable, MoneyError, PeriodError) as exc:
            fail(f"错误：{exc}")
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            fail(f"错误：数据库操作失败：{reason}（是否已运行 charity init？）")
