"""The seeded store of the command-line contract, once per run, and a copy of it per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pos.cli.contract import Seed, environment, make_seed


@pytest.fixture(scope="session")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    return make_seed(tmp_path_factory)


@pytest.fixture
def store_copy(seed: Seed, tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A copy of the seeded store and the environment that points `charity` at it."""
    db = tmp_path / "store.db"
    shutil.copyfile(seed.db, db)
    yield tmp_path, environment(f"sqlite:///{db}")
