"""What every package's command line shares: the loaded settings and database, the clock, and the
rule that a refusal prints one line on stderr and exits 1 (never a traceback).

Command groups of each package are plain `click.Group`s; `pos.cli` gathers them under `charity`.
"""

from __future__ import annotations

import errno
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import ConfigError, Settings, load_settings
from core.db import Database, DatabaseUnavailable, check_connection, is_empty
from core.errors import DomainError, ValidationError
from core.keys import DataKeyError, DataKeys, resolve_keys
from core.money import MoneyError
from core.periods import PeriodError


@dataclass
class CliContext:
    """Settings and database, loaded on first use so that `--help` needs neither."""

    config_path: str | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _settings: Settings | None = None
    _db: Database | None = None
    _keys: DataKeys | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            if self.config_path and Path(self.config_path).is_dir():
                raise ConfigError(f"配置文件 {self.config_path} 是一个目录，应为 .toml 文件")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self._settings = load_settings(self.config_path)
            for warning in caught:  # one plain line each, not Python's warning format
                click.echo(f"警告：{warning.message}", err=True)
        return self._settings

    @property
    def db(self) -> Database:
        """The store's database, which must have been created by `charity init`."""
        return self.database(require_schema=True)

    def database(self, *, require_schema: bool = True) -> Database:
        """Open (once) and check the database; `require_schema=False` only for `init` and
        `serve --demo`, which create the tables. Refuses with DatabaseUnavailable, never
        creates an empty SQLite file by accident."""
        if self._db is None:
            url = self.settings.database.url
            shown = make_url(url).render_as_string(hide_password=True)
            if require_schema:
                _require_sqlite_file(url)
            try:
                db = Database(url)
                check_connection(db.engine)
                empty = require_schema and is_empty(db.engine)
            except (
                FileExistsError
            ) as exc:  # creating the SQLite file's folder: a file is in the way
                raise DatabaseUnavailable(
                    f"无法打开数据库 {shown}：{exc.filename} 是文件，不是目录"
                ) from None
            except OSError as exc:
                raise DatabaseUnavailable(f"无法打开数据库 {shown}：{os_reason(exc)}") from None
            except DBAPIError as exc:
                raise DatabaseUnavailable(f"无法打开数据库 {shown}：{_db_reason(exc)}") from None
            if empty:
                db.dispose()
                raise DatabaseUnavailable(f"数据库 {shown} 还没有数据表，请先运行 charity init")
            self._db = db
        return self._db

    def now(self) -> datetime:
        return self.clock()

    @property
    def keys(self) -> DataKeys:
        """The data key (`security.data_key`, or the demo store's key file beside its database);
        resolved only by commands that need it, so `init` and `user add` work without one."""
        if self._keys is None:
            self._keys = resolve_keys(
                self.settings.security.data_key, self.settings.instance_dir, demo=False
            )
        return self._keys

    @property
    def actor(self) -> Actor:
        """Commands act as `cli:<os user>`: the bureau's own machine, recorded on every row."""
        return Actor.cli()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One all-or-nothing unit of work: commits at the end, rolls back on any error."""
        with self.db.transaction() as session:
            yield session


def _require_sqlite_file(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return
    name = parsed.database or ""
    if name in ("", ":memory:") or name.startswith("file:"):
        return
    if not Path(name).exists():
        raise DatabaseUnavailable(f"数据库文件 {name} 不存在，请先运行 charity init")
    if Path(name).is_dir():
        raise DatabaseUnavailable(f"数据库路径 {name} 是一个目录，应为 SQLite 数据库文件")


def _db_reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc).splitlines()[0]


_OS_REASONS = {
    errno.ENOENT: "不存在",
    errno.EISDIR: "是一个目录",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "位于只读文件系统",
    errno.ENOSPC: "磁盘空间不足",
    errno.EEXIST: "已存在",
}


def os_reason(exc: OSError) -> str:
    """An OSError as a short Chinese reason naming the path."""
    reason = _OS_REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    return f"{exc.filename} {reason}" if exc.filename else reason


def input_file(path: str, *, what: str = "文件") -> Path:
    """A file the command reads: it exists, is a file and can be read; else a refusal naming
    it (exit 1, not a usage error: the command was right, the file is not)."""
    if not path.strip():
        raise ValidationError(f"请给出{what}路径")
    target = Path(path)
    if not target.exists():
        raise ValidationError(f"{what} {path} 不存在")
    if target.is_dir():
        raise ValidationError(f"{what} {path} 是一个目录，不是文件")
    if not os.access(target, os.R_OK):
        raise ValidationError(f"{what} {path} 没有读取权限")
    return target


def output_file(path: str, *, what: str = "文件", overwrite: bool = True) -> Path:
    """A file the command writes: its folder exists and is writable (a missing folder is a
    typo or an unplugged drive, so it is not created), and it is not a directory."""
    if not path.strip():
        raise ValidationError(f"请给出{what}路径")
    target = Path(path)
    if target.is_dir():
        raise ValidationError(f"{what} {path} 是一个目录，请给出文件名")
    if target.exists() and not overwrite:
        raise ValidationError(f"{what} {path} 已存在，不会覆盖")
    folder = target.parent
    if not folder.exists():
        raise ValidationError(f"目录 {folder} 不存在（{what} {path}）")
    if not folder.is_dir():
        raise ValidationError(f"{folder} 不是目录（{what} {path}）")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise ValidationError(f"没有权限写入 {path}")
    return target


def output_xlsx(path: str, *, what: str = "Excel 文件") -> Path:
    """An `--xlsx PATH` the command writes: `output_file`, and named `.xlsx`."""
    target = output_file(path, what=what)
    if target.suffix.lower() != ".xlsx":
        raise ValidationError(f"--xlsx 的文件名应以 .xlsx 结尾，实际为 {path}")
    return target


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
        except (ConfigError, DataKeyError, DatabaseUnavailable, MoneyError, PeriodError) as exc:
            fail(f"错误：{exc}")
        except DataError as exc:  # e.g. an amount beyond PostgreSQL's integer column
            fail(f"错误：数值超出数据库允许的范围（{_db_reason(exc)}），未写入任何数据")
        except (OperationalError, ProgrammingError) as exc:
            reason = _db_reason(exc)
            if _missing_table(reason):
                fail(f"错误：数据库结构不完整（{reason}），请先运行 charity init")
            fail(f"错误：数据库操作失败：{reason}")
        except OSError as exc:  # a file or folder the command reads or writes
            fail(f"错误：{os_reason(exc)}")


def _missing_table(reason: str) -> bool:
    text = reason.lower()
    return any(
        mark in text
        for mark in ("no such table", "no such column", "does not exist", "undefinedtable")
    )
