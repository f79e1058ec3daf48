"""A person's clothing allowance this quarter, as cards shows it. The clothing package owns the
rule; the host hands it in (`cards.hooks`), since cards must not import clothing_exchange."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sqlalchemy.orm import Session

from cards.hooks import ClothingAllowance, ClothingStatus
from core.periods import Quarter


def clothing_status(
    session: Session,
    beneficiary_id: int,
    at: datetime,
    *,
    tz: tzinfo,
    allowance: ClothingAllowance | None,
) -> ClothingStatus:
    """The allowance's answer, or (without one) nothing allowed and nothing used in the quarter
    of `at` in store time."""
    if allowance is not None:
        return allowance(session, beneficiary_id, at)
    return ClothingStatus(
        quarter=str(Quarter.of(at, tz)),
        allowed=0,
        used=0,
        last_taken_at=None,
        next_available=None,
    )
