"""Back-office pages for beneficiaries and cards, the balance page, and the cards JSON API."""

from __future__ import annotations

from flask import Blueprint

from core.web import ApiBlueprint

bp = Blueprint("cards", __name__, url_prefix="/cards", template_folder="templates")
api = ApiBlueprint("cards_api", __name__, tag="cards")

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = []
