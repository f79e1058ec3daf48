"""The pages of the cards package. The bureau's office (blueprint `cards`, under /cards, with
its menu entries `NAV`) is `office` with the pages `people`, `sheet`, `roster`, `topups`,
`adjustments` and `fund` (the fund statement and the month close); the
public balance page and the kiosk keep their own blueprint (`cards.views.balance`, no prefix)."""

from __future__ import annotations

from cards.views import adjustments, fund, people, reports, roster, sheet, topups
from cards.views.office import NAV, bp

__all__ = ["NAV", "adjustments", "bp", "fund", "people", "reports", "roster", "sheet", "topups"]
