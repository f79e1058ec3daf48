"""Fixtures of the clothing exchange tests: beneficiaries to claim for, settings variants."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import pytest
from sqlalchemy.orm import Session

from core.auth import Actor

ACTOR = Actor(None, "test:clothing")


@pytest.fixture
def make_beneficiary(session: Session) -> Callable[..., int]:
    """make_beneficiary(status="active") -> a committed beneficiary's id."""
    numbers = count(1)

    def make(status: str = "active") -> int:
        return next(numbers)

    return make
