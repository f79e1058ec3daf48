"""Fixtures of the clothing exchange tests: beneficiaries to claim for, the sample intake file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.models import Beneficiary
from cards.services import personal
from clothing_exchange.models import ClothingClaim, ClothingIntakeBatch
from clothing_exchange.services.claims import take_allowance
from clothing_exchange.services.intake_file import IntakeFile, parse_intake
from core.auth import Actor
from core.config import Settings
from core.crypto import FieldCipher
from tests.conftest import TEST_KEYS, shanghai

ACTOR = Actor(None, "test:clothing")
SAMPLE = Path(__file__).parents[2] / "clothing_exchange" / "demo_data" / "clothing_intake.csv"


def sample(settings: Settings) -> IntakeFile:
    """The sample intake file (30 batches, 4011 items), parsed."""
    return parse_intake(SAMPLE.read_bytes(), filename=SAMPLE.name, kinds=settings.clothing.kinds)


def batches(session: Session) -> int:
    """Intake batches recorded (what the app or the CLI committed)."""
    n = int(session.scalar(select(func.count()).select_from(ClothingIntakeBatch)) or 0)
    session.rollback()  # end the read: on SQLite every transaction holds the write lock
    return n


def take(
    session: Session, who: int, at: datetime, settings: Settings, n: int = 1, sale: str = "S1"
) -> list[ClothingClaim]:
    """`n` sweaters taken by `who` at `at` in sale `sale`."""
    return take_allowance(
        session,
        beneficiary_id=who,
        items=[("毛衣", None)] * n,
        at=at,
        actor=ACTOR,
        settings=settings,
        sale_no=sale,
    )


@pytest.fixture
def make_beneficiary(session: Session) -> Callable[..., int]:
    """make_beneficiary(status="active") -> a committed beneficiary's id."""
    numbers = count(1)

    def make(status: str = "active", name: str = "") -> int:
        n = next(numbers)
        person = Beneficiary(
            **personal.id_columns(FieldCipher(TEST_KEYS), f"41010519800101{n:04d}"),
            name=name or f"测试{n}",
            category="低保",
            status=status,
            created_at=shanghai(2026, 1, 1),
            updated_at=shanghai(2026, 1, 1),
        )
        session.add(person)
        session.commit()
        return person.id

    return make
