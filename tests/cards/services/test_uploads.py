"""Roster uploads waiting for their confirmation: in the instance folder, mode 600 under an
unpredictable name, encrypted, removed after confirmation or cancellation, and after a day (on
the next upload and when the app starts)."""

from __future__ import annotations

import io
import os
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cards.models import Beneficiary
from cards.services import uploads
from core.auth import Role
from core.crypto import FieldCipher
from core.errors import ValidationError
from pos.app import create_app
from tests.cards.conftest import make_id, person_row, roster_csv
from tests.conftest import TEST_KEYS

CIPHER = FieldCipher(TEST_KEYS)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_stage_keeps_an_encrypted_private_file(tmp_path: Path) -> None:
    folder = uploads.uploads_dir(tmp_path)
    data = roster_csv([person_row(1)])
    first = uploads.stage(folder, data, cipher=CIPHER, now=time.time())
    second = uploads.stage(folder, data, cipher=CIPHER, now=time.time())
    assert first != second and len(first) == 32
    assert _mode(folder) == 0o700 and _mode(folder / first) == 0o600
    assert make_id(1).encode() not in (folder / first).read_bytes()
    assert uploads.staged(folder, first, cipher=CIPHER) == data
    uploads.unstage(folder, first)
    assert not (folder / first).exists()
    with pytest.raises(ValidationError, match="过期"):
        uploads.staged(folder, first, cipher=CIPHER)
    with pytest.raises(ValidationError, match="过期"):
        uploads.staged(folder, "../../etc/passwd", cipher=CIPHER)


def test_uploads_older_than_a_day_are_swept(tmp_path: Path) -> None:
    folder = uploads.uploads_dir(tmp_path)
    old = uploads.stage(folder, b"old", cipher=CIPHER, now=time.time())
    two_days_ago = time.time() - 2 * 86400
    os.utime(folder / old, (two_days_ago, two_days_ago))
    recent = uploads.stage(folder, b"new", cipher=CIPHER, now=time.time())  # sweeps first
    assert not (folder / old).exists() and (folder / recent).exists()


def test_the_page_removes_the_upload_after_confirm_and_cancel(client, login, session, settings):
    login(Role.BUREAU)
    folder = settings.instance_dir / uploads.FOLDER

    def preview() -> str:
        page = client.post(
            "/cards/import",
            data={"file": (io.BytesIO(roster_csv([person_row(1), person_row(2)])), "名册.csv")},
            content_type="multipart/form-data",
        ).get_data(as_text=True)
        return page.split('name="upload" value="')[1].split('"')[0]

    name = preview()
    assert [p.name for p in folder.iterdir()] == [name] and _mode(folder / name) == 0o600
    client.post("/cards/import", data={"cancel": "1", "upload": name})
    assert list(folder.iterdir()) == []
    assert session.scalar(select(func.count()).select_from(Beneficiary)) == 0
    session.rollback()
    name = preview()
    done = client.post(
        "/cards/import", data={"confirm": "1", "upload": name, "filename": "名册.csv"}
    )
    assert done.status_code == 302
    assert list(folder.iterdir()) == []
    assert session.scalar(select(func.count()).select_from(Beneficiary)) == 2
    again = client.post(
        "/cards/import", data={"confirm": "1", "upload": name, "filename": "名册.csv"}
    )
    assert "过期" in again.get_data(as_text=True)


def test_the_app_sweeps_old_uploads_when_it_starts(settings, database, clock) -> None:
    folder = uploads.uploads_dir(settings.instance_dir)
    old = uploads.stage(folder, b"x", cipher=CIPHER, now=time.time())
    fresh = uploads.stage(folder, b"y", cipher=CIPHER, now=time.time())
    two_days_ago = time.time() - 2 * 86400
    os.utime(folder / old, (two_days_ago, two_days_ago))
    create_app(settings, database=database, clock=clock, testing=True)
    assert not (folder / old).exists() and (folder / fresh).exists()
