"""Looking for personal data where it must not be: the bureau's roster read the way the import
reads it, and a scan of files' raw bytes for every ID number (and phone) as ASCII."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from cards.services.roster_file import RosterRow, read_roster

DATA = Path(__file__).resolve().parents[1] / "data"
ROSTER_XLSX = DATA / "roster.xlsx"
ROSTER_GBK = DATA / "roster_gbk.csv"
CATEGORIES = ("低保", "优抚", "特困")


def roster_rows(path: Path = ROSTER_GBK) -> list[RosterRow]:
    """The valid rows of one of the bureau's sample rosters."""
    rows, errors, _, _ = read_roster(
        path.read_bytes(), path.name, categories=CATEGORIES, today=date(2026, 11, 29)
    )
    assert not errors, errors[:3]
    return rows


def secrets_of(rows: Iterable[RosterRow], *, phones: bool = True) -> list[bytes]:
    """Every ID number (and phone) of `rows`, as the ASCII bytes a file would hold."""
    found = [r.id_number.encode("ascii") for r in rows]
    if phones:
        found += [r.phone.encode("ascii") for r in rows if len(r.phone) >= 7]
    return found


def files_under(*folders: Path) -> list[Path]:
    """Every regular file under `folders` (the database, its WAL, backups, uploads, temp)."""
    return sorted(p for folder in folders for p in folder.rglob("*") if p.is_file())


def leaks(paths: Iterable[Path], secrets: Iterable[bytes]) -> list[tuple[str, str]]:
    """(file, value) for every value found in a file's raw bytes."""
    wanted = list(secrets)
    found: list[tuple[str, str]] = []
    for path in paths:
        data = path.read_bytes()
        found.extend((str(path), value.decode()) for value in wanted if value in data)
    return found
