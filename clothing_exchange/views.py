"""Back-office pages for clothing intake, stock and events, and the clothing JSON API."""

from __future__ import annotations

from flask import Blueprint

from core.web import ApiBlueprint

bp = Blueprint("clothing", __name__, url_prefix="/clothing", template_folder="templates")
api = ApiBlueprint("clothing_api", __name__, tag="clothing")

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = []
