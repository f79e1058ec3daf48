"""Domain rules of the cards package: plain functions that take a session, flush, never commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.checks import CheckResult


def verify_ledger(session: Session) -> CheckResult:
    """Every cached balance equals the sum of its postings, every transaction sums to zero, the
    hash chain holds. (The ledger lands with issue [3]; until then there is nothing to check.)"""
    return CheckResult(summary="账本：尚无分录（账本功能见 issue [3]）")
