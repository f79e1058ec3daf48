"""Fixtures of the clothing exchange tests: beneficiaries to claim for."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import pytest
from sqlalchemy.orm import Session

from cards.models import Beneficiary
from core.auth import Actor
from tests.conftest import shanghai

ACTOR = Actor(None, "test:clothing")


@pytest.fixture
def make_beneficiary(session: Session) -> Callable[..., int]:
    """make_beneficiary(status="active") -> a committed beneficiary's id."""
    numbers = count(1)

    def make(status: str = "active", name: str = "") -> int:
        n = next(numbers)
        person = Beneficiary(
            id_number=f"41010519800101{n:04d}",
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
