"""The demo store offers two-person approval: `bureau` prepares, `bureau2` approves (README)."""

from __future__ import annotations

from typing import Any

from cards.services import topup
from core.auth import Actor
from core.periods import Month
from pos.demo import DEMO_LOGINS, demo_settings
from tests.conftest import TEST_KEYS


def test_demo_settings_hold_top_ups_for_a_second_bureau_user(
    session: Any, settings: Any, clock: Any
) -> None:
    assert settings.allowance.approval == "single"
    demo = demo_settings(settings)
    assert demo.allowance.approval == "two_person"
    assert demo.allowance.monthly == settings.allowance.monthly  # the rest is the config's
    assert demo_settings(demo) is demo
    assert sum(1 for _, _, role, _ in DEMO_LOGINS if role.value == "bureau") == 2
    from cards import demo as cards_demo

    cards_demo.load(session, settings, keys=TEST_KEYS, at=clock())
    clock.advance(days=40)
    outcome = topup.run_topup(
        session,
        demo,
        Month.of(clock(), demo.tz),
        at=clock(),
        actor=Actor(None, "bureau"),
        keys=TEST_KEYS,
    )
    assert outcome.run is not None and not outcome.posted  # waits for bureau2
