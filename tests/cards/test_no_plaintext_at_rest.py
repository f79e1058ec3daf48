"""Issue [11], done when: on a store made from the bureau's roster (roster.xlsx through the import
page, roster_gbk.csv through the command line), after a day of the bureau's work, no ID number
of the roster (nor any phone) can be found as ASCII in the database file, its WAL, a backup or
any temporary file; and the day's control actions are in `charity audit`."""

from __future__ import annotations

import io
import json
import re
import tempfile
from pathlib import Path

import pytest

from cards.services import uploads
from core.auth import Role, add_user
from core.db import Database
from pos import migrate
from pos.app import create_app
from tests.cards.plaintext import (
    ROSTER_GBK,
    ROSTER_XLSX,
    files_under,
    leaks,
    roster_rows,
    secrets_of,
)
from tests.conftest import Cli, cli_ok


@pytest.fixture
def store(tmp_path: Path, settings, clock, monkeypatch):
    """A SQLite store of its own in `tmp_path/store` (its instance folder too), with temporary
    files of this process going to `tmp_path/tmp`."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    folder = tmp_path / "store"
    folder.mkdir()
    db = Database(f"sqlite:///{folder / 'charity.db'}")
    migrate.upgrade(db.engine)
    ours = settings.with_overrides(database={"url": db.url})
    with db.transaction() as session:
        add_user(session, "zhang", "password123", Role.BUREAU, at=clock())
    yield ours, db, folder, temp
    db.dispose()


def _csrf(page: str) -> str:
    found = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_no_id_number_at_rest_after_a_day_of_work(store, clock, tmp_path: Path) -> None:
    settings, db, folder, _temp = store
    rows = roster_rows(ROSTER_GBK)
    assert len(rows) == 200 and {r.id_number for r in rows} == {
        r.id_number for r in roster_rows(ROSTER_XLSX)
    }
    secrets = secrets_of(rows)
    app = create_app(settings, database=db, clock=clock, testing=True)
    page = app.test_client()
    token = _csrf(page.get("/").get_data(as_text=True))
    page.post("/", data={"username": "zhang", "password": "password123", "csrf_token": token})

    # the bureau uploads the xlsx roster: while the preview waits, nothing readable on disk
    preview = page.post(
        "/cards/import",
        data={
            "file": (io.BytesIO(ROSTER_XLSX.read_bytes()), "roster.xlsx"),
            "csrf_token": _csrf(page.get("/cards/import").get_data(as_text=True)),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "新增 200 人" in preview or "新增（200）" in preview
    waiting = list((folder / uploads.FOLDER).iterdir())
    assert len(waiting) == 1
    assert leaks(files_under(tmp_path), secrets) == []
    upload = preview.split('name="upload" value="')[1].split('"')[0]
    done = page.post(
        "/cards/import",
        data={
            "confirm": "1",
            "upload": upload,
            "filename": "roster.xlsx",
            "csrf_token": _csrf(preview),
        },
    )
    assert done.status_code == 302
    assert list((folder / uploads.FOLDER).iterdir()) == []

    # the command line: the GBK roster is the same people; cards, a status, a freeze...
    cli = Cli(settings, db, clock)
    again = cli_ok(cli("beneficiaries", "import", str(ROSTER_GBK), "--commit"))
    assert "新增 0 人" in again
    cli_ok(cli("cards", "issue", "--all"))
    cli_ok(cli("topup", "2026-11"))
    cli_ok(cli("beneficiaries", "set-status", rows[7].id_number, "suspended", "--reason", "复核"))
    listing = cli_ok(cli("cards", "list", "--format", "csv"))
    assert rows[0].id_number in listing  # the contract's export: full, on stdout only
    first_card, second_card = (line.split(",")[0] for line in listing.splitlines()[1:3])
    cli_ok(cli("cards", "freeze", first_card, "--reason", "丢失"))
    cli_ok(cli("cards", "replace", first_card))
    cli_ok(cli("cards", "freeze", second_card, "--reason", "暂存"))
    cli_ok(cli("cards", "unfreeze", second_card, "--reason", "找回"))

    # the bureau's pages: a proxy with a phone, a reveal, a statement
    person = page.get("/cards/people/1").get_data(as_text=True)
    page.post(
        "/cards/people/1/proxies",
        data={
            "name": "张小云",
            "relation": "女儿",
            "phone": "13955556666",
            "csrf_token": _csrf(person),
        },
    )
    revealed = page.post("/cards/people/1/reveal", data={"csrf_token": _csrf(person)})
    assert rows[0].id_number in revealed.get_data(as_text=True)
    assert page.get("/cards/people/1/statement").status_code == 200

    # a backup
    (tmp_path / "backups").mkdir()
    cli_ok(cli("backup", str(tmp_path / "backups" / "copy.db")))

    everything = files_under(tmp_path)
    names = {p.name for p in everything}
    assert {"charity.db", "charity.db-wal", "copy.db"} <= names
    found = leaks(everything, [*secrets, b"13955556666"])
    assert found == [], found[:5]

    # the day is in the audit log
    log = json.loads(cli_ok(cli("audit", "--format", "json")))
    kinds = {e["kind"] for e in log}
    assert {
        "roster_import",
        "card_issue",
        "card_freeze",
        "card_replace",
        "card_unfreeze",
        "status_change",
        "id_reveal",
        "export",
        "backup",
    } <= kinds
    assert not any(r.id_number in json.dumps(log, ensure_ascii=False) for r in rows)
