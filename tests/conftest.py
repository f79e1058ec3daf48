"""Shared fixtures: a migrated database per test (SQLite by default, PostgreSQL when
CHARITY_TEST_DATABASE_URL is set), the app, a client, a CLI runner, a controllable clock, staff.

On SQLite the schema is migrated once into a template file that each test copies. On PostgreSQL it
is migrated once per run and every table is emptied between tests.
"""

from __future__ import annotations

import base64
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.auth import Role, StaffUser, add_user
from core.cli import CliContext
from core.config import Settings
from core.db import Base, Database
from core.keys import DataKeys
from pos import migrate
from pos.app import create_app
from pos.cli import main

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEST_DATA_KEY = base64.b64encode(bytes(range(32))).decode("ascii")
TEST_KEYS = DataKeys.from_text(TEST_DATA_KEY)  # what the test settings' data_key gives
PG_URL = os.environ.get("CHARITY_TEST_DATABASE_URL", "")

os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(Path(__file__).parent / ".escpos"))


class FakeClock:
    """A clock tests can set and move; callable like the app's clock."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.at = at

    def advance(self, **kwargs: float) -> None:
        self.at = self.at + timedelta(**kwargs)


def shanghai(*args: int) -> datetime:
    """An aware Shanghai datetime: shanghai(2026, 12, 31, 23, 59)."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(shanghai(2026, 11, 29, 10, 0))


@pytest.fixture
def postgres_only(database: Database) -> Database:
    """For tests about PostgreSQL itself (triggers, row locks): skip on SQLite with the reason."""
    if database.dialect != "postgresql":
        if os.environ.get("CHARITY_REQUIRE_POSTGRES"):
            pytest.fail("CHARITY_REQUIRE_POSTGRES is set but the test database is not PostgreSQL")
        pytest.skip("needs PostgreSQL: set CHARITY_TEST_DATABASE_URL (.ci/run does)")
    return database


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database to start every test from: a SQLite file, or a PostgreSQL URL."""
    if PG_URL:
        db = Database(PG_URL)
        with db.engine.begin() as connection:
            # start clean: drop everything a previous run left
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        migrate.upgrade(db.engine)
        db.dispose()
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    db.dispose()
    return str(path)


def _truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def database(_template_db: str, tmp_path: Path) -> Iterator[Database]:
    if PG_URL:
        db = Database(PG_URL)
        _truncate_all(db)
    else:
        path = tmp_path / "charity.db"
        shutil.copyfile(_template_db, path)
        db = Database(f"sqlite:///{path}")
    yield db
    db.dispose()


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings().with_overrides(
        database={"url": database.url},
        security={"secret_key": "test-secret-key", "data_key": TEST_DATA_KEY},
        balance_page={"base_url": "http://kiosk.test"},
    )


@pytest.fixture
def keys(settings: Settings) -> DataKeys:
    """The data keys of the test store (the app and the CLI resolve the same)."""
    return DataKeys.from_text(settings.security.data_key)


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    """A session for arranging and checking; commit what the app or CLI must see. It begins
    deferred on SQLite, so holding it open never blocks the app's writers; `rollback()` it to
    see what they committed since."""
    with database.session(write=False) as s:
        yield s


@pytest.fixture
def app(settings: Settings, database: Database, clock: FakeClock) -> Flask:
    app = create_app(settings, database=database, clock=clock, testing=True)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.fixture
def csrf_app(settings: Settings, database: Database, clock: FakeClock) -> Flask:
    """The app with CSRF protection on, as in production."""
    return create_app(settings, database=database, clock=clock, testing=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Cli:
    """Runs `charity ...` in-process against the test database and clock."""

    settings: Settings
    database: Database
    clock: FakeClock

    def __call__(self, *args: str, input: str | None = None) -> Result:
        context = CliContext(clock=self.clock)
        context._settings = self.settings
        context._db = self.database
        return CliRunner().invoke(main, list(args), obj=context, input=input)


@pytest.fixture
def cli(settings: Settings, database: Database, clock: FakeClock) -> Cli:
    return Cli(settings, database, clock)


@pytest.fixture
def make_user(database: Database, clock: FakeClock) -> Callable[..., StaffUser]:
    counter = iter(range(1, 10_000))

    def make(
        role: Role | str = Role.CASHIER, username: str | None = None, password: str = "password123"
    ) -> StaffUser:
        name = username or f"{Role(role).value}{next(counter)}"
        with database.transaction() as s:
            user = add_user(s, name, password, role, at=clock())
        return user

    return make


@pytest.fixture
def api_token(client: FlaskClient, make_user: Callable[..., StaffUser]) -> Callable[..., str]:
    """A bearer token for a new user of `role`."""

    def token(role: Role | str = Role.CASHIER) -> str:
        user = make_user(role)
        answer = client.post(
            "/api/v1/login", json={"username": user.username, "password": "password123"}
        )
        assert answer.status_code == 200, answer.get_json()
        return str(answer.get_json()["token"])

    return token


@pytest.fixture
def api(client: FlaskClient, api_token: Callable[..., str]) -> Callable[..., Any]:
    """api(role) -> a client-like object that sends the bearer token of a new user of that role."""

    class Authed:
        def __init__(self, token: str) -> None:
            self.headers = {"Authorization": f"Bearer {token}"}

        def get(self, url: str, **kw: Any) -> Any:
            return client.get(url, headers=self.headers, **kw)

        def post(self, url: str, **kw: Any) -> Any:
            return client.post(url, headers=self.headers, **kw)

        def put(self, url: str, **kw: Any) -> Any:
            return client.put(url, headers=self.headers, **kw)

        def delete(self, url: str, **kw: Any) -> Any:
            return client.delete(url, headers=self.headers, **kw)

    return lambda role=Role.CASHIER: Authed(api_token(role))


@pytest.fixture
def login(client: FlaskClient, make_user: Callable[..., StaffUser]) -> Callable[..., StaffUser]:
    """Sign a new user of `role` in on the page client."""

    def do(role: Role | str = Role.CASHIER) -> StaffUser:
        user = make_user(role)
        answer = client.post("/", data={"username": user.username, "password": "password123"})
        assert answer.status_code == 302, answer.data
        return user

    return do


# --- a live server for browser tests -------------------------------------------------------


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served on a free loopback port by a threaded WSGI server; yields the base URL.
    (werkzeug's server, for its clean shutdown(); `charity serve` uses waitress.)"""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CHARITY_REQUIRE_BROWSER"):
        pytest.fail(f"CHARITY_REQUIRE_BROWSER is set but {reason}")
    pytest.skip(reason)


CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright; skips with the reason when absent."""
    path = chromium_path()
    if path is None:
        _skip_or_fail("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


ARTIFACTS = Path(
    os.environ.get("CHARITY_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts")
)


@pytest.fixture
def artifacts() -> Path:
    """Where browser tests keep screenshots (test-artifacts/, or CHARITY_TEST_ARTIFACTS)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def cli_ok(result: Result) -> str:
    """Assert a CLI result exited 0 and return its output."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output
