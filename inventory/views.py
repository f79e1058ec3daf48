"""Back-office pages for products and stock, and the products JSON API."""

from __future__ import annotations

from flask import Blueprint

from core.web import ApiBlueprint

bp = Blueprint("inventory", __name__, url_prefix="/inventory", template_folder="templates")
api = ApiBlueprint("inventory_api", __name__, tag="inventory")

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = []
