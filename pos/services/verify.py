"""`charity ledger verify`: every package's own consistency checks, run together."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cards.services.verify import verify_ledger
from inventory.services.stock import verify_stock


def verify_all(session: Session) -> tuple[list[str], list[str]]:
    """(problems, what was checked): problems empty means everything adds up."""
    problems: list[str] = []
    checked: list[str] = []
    for check in (verify_ledger, verify_stock):
        result = check(session)
        problems.extend(result.problems)
        checked.append(result.summary)
    return problems, checked
