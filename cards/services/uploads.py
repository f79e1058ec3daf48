"""Uploads waiting between their preview and their confirmation (a roster file): kept in the
store's instance folder (`settings.instance_dir`/uploads, mode 700), one file each, mode 600,
under an unpredictable name, encrypted (`FieldCipher.seal_file`: the file holds no readable ID
number even while it waits). Removed when confirmed or cancelled; anything older than a day is
removed on the next upload and when the app starts.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from core.crypto import FieldCipher, FieldKeyError
from core.errors import ValidationError

FOLDER = "uploads"
MAX_AGE_SECONDS = 24 * 3600
_NAME = re.compile(r"[A-Za-z0-9_-]{32}")
_EXPIRED = "导入已过期或已完成，请重新上传文件"


def uploads_dir(instance_dir: Path) -> Path:
    """The folder of waiting uploads (made if missing; only this user may enter it)."""
    folder = instance_dir / FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def stage(folder: Path, data: bytes, *, cipher: FieldCipher, now: float) -> str:
    """Keep `data` until it is confirmed; returns its name (the page carries it). Sweeps
    uploads older than a day first."""
    sweep(folder, now=now)
    name = secrets.token_urlsafe(24)
    descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(cipher.seal_file(data, name=name))
    return name


def staged(folder: Path, name: str, *, cipher: FieldCipher) -> bytes:
    """The waiting upload called `name`; ValidationError once it is gone (or the name is none
    of ours)."""
    if not _NAME.fullmatch(name):
        raise ValidationError(_EXPIRED)
    try:
        sealed = (folder / name).read_bytes()
    except FileNotFoundError:
        raise ValidationError(_EXPIRED) from None
    try:
        return cipher.open_file(sealed, name=name)
    except FieldKeyError:
        unstage(folder, name)
        raise ValidationError(_EXPIRED) from None


def unstage(folder: Path, name: str) -> None:
    """Remove a waiting upload (confirmed or cancelled); nothing if it is gone already."""
    if _NAME.fullmatch(name):
        (folder / name).unlink(missing_ok=True)


def sweep(folder: Path, *, now: float, max_age: float = MAX_AGE_SECONDS) -> int:
    """Remove waiting uploads last written more than `max_age` seconds before `now` (the
    wall clock, as file times are); returns how many."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        try:
            if path.is_file() and now - path.stat().st_mtime > max_age:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # removed meanwhile by another worker
            continue
    return removed
