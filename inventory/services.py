"""Domain rules of the inventory package: plain functions that take a session, flush, never commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.checks import CheckResult


def verify_stock(session: Session) -> CheckResult:
    """Every cached stock level equals the sum of its movements. (Stock lands with issue [4].)"""
    return CheckResult(summary="库存：尚无库存流水（库存功能见 issue [4]）")
