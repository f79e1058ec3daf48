"""Demo data of the clothing exchange, made through its own services: the sample 衣暖人心 intake
file (30 batches, January to July 2026) as clothing stock, and one give-away event."""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources

from sqlalchemy.orm import Session

from clothing_exchange.services.events import record_event
from clothing_exchange.services.intake import record_intake
from clothing_exchange.services.intake_file import parse_intake
from core.auth import Actor
from core.config import Settings

SAMPLE = "clothing_intake.csv"


def sample_bytes() -> bytes:
    """The sample intake file shipped with the package (package data)."""
    return resources.files("clothing_exchange").joinpath("demo_data", SAMPLE).read_bytes()


def load(session: Session, settings: Settings, *, at: datetime) -> list[str]:
    """Fill an empty store with sample clothing; returns lines to print (what was loaded)."""
    actor = Actor.system("demo")
    parsed = parse_intake(sample_bytes(), filename=SAMPLE, kinds=settings.clothing.kinds)
    if parsed.problems:  # a config with other kinds: the sample does not fit, load nothing
        return [f"爱心衣物：示例入库文件与 clothing.kinds 不符，未载入（{parsed.problems[0]}）"]
    plan = record_intake(session, parsed, at=at, actor=actor, settings=settings, source=SAMPLE)
    kinds = settings.clothing.kinds
    record_event(
        session,
        event_date=date(2026, 6, 20),
        place="花园口镇花园口村文化广场",
        totals={kind: n for kind, n in zip(kinds, (30, 25, 20, 15), strict=False)},
        note="演示数据",
        at=at,
        actor=actor,
        settings=settings,
    )
    return [f"爱心衣物：{len(plan.new)} 个入库批次，{plan.items} 件衣物进入库存"]
