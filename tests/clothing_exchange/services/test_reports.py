"""Clothing reports: what 衣暖人心 collected, per month and collection point."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from clothing_exchange.services.intake import record_intake
from clothing_exchange.services.reports import intake_by_month_and_point
from core.config import Settings
from tests.clothing_exchange.conftest import ACTOR, sample
from tests.conftest import shanghai

AT = shanghai(2026, 8, 1, 9, 0)


def test_intake_report_per_month_and_point(session: Session, settings: Settings) -> None:
    record_intake(session, sample(settings), at=AT, actor=ACTOR, settings=settings)
    rows = intake_by_month_and_point(session, year=2026)
    assert sum(r.items for r in rows) == 4011
    assert sum(r.weight_kg for r in rows) == Decimal("14128.8")
    jan = [r for r in rows if r.month == "2026-01"]
    assert {r.collection_point for r in jan} == {
        "长兴路街道彩虹社区回收点",
        "迎宾路街道迎宾路社区回收点",
        "新城街道新城社区回收点",
        "江山路街道薛岗村回收点",
    }
    assert intake_by_month_and_point(session, year=2025) == []
