"""The bureau's back office for cards (blueprint `cards`, under /cards): its menu entries, the
template filters its pages use, and what every office page shares. The pages themselves are
`people`, `sheet`, `roster`, `topups` and `adjustments` in this folder."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from flask import Blueprint, flash, redirect, request
from werkzeug.wrappers import Response

from cards.services.text import mask_id_number, mask_name
from core.auth import Role
from core.errors import DomainError
from core.forms import FormModel, read_form
from core.web import db_session

TEMPLATES = str(Path(__file__).parent.parent / "templates")  # cards/templates/cards/...

bp = Blueprint(
    "cards",
    __name__,
    url_prefix="/cards",
    template_folder=TEMPLATES,
    static_folder=str(Path(__file__).parent.parent / "static" / "cards"),  # cards/static/cards/
    static_url_path="/static",
)

BUREAU = (Role.BUREAU,)

F = TypeVar("F", bound=FormModel)

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("救助对象", "cards.people", BUREAU),
    ("名册导入", "cards.import_roster", BUREAU),
    ("月度充值", "cards.topups", BUREAU),
    ("调整审批", "cards.adjustments", BUREAU),
    ("资金月报", "cards.fund", BUREAU),
    ("资金走势", "cards.flows", BUREAU),
    ("月结", "cards.months", BUREAU),
]


@bp.app_template_filter("mask_name")
def _mask_name(value: str | None) -> str:
    return mask_name(value or "")


@bp.app_template_filter("mask_id")
def _mask_id(value: str | None) -> str:
    return mask_id_number(value or "")


def form(model: type[F]) -> F:
    """The request's form through `model` (a refusal is a ValidationError naming the field)."""
    return read_form(model, request.form)


def done(message: str, to: str) -> Response:
    """Commit the request's one transaction, say so, and go to the page `to`."""
    db_session().commit()
    flash(message, "ok")
    return redirect(to)


def refused(error: DomainError, to: str) -> Response:
    """Undo the request's changes, show the refusal, and go to the page `to`."""
    db_session().rollback()
    flash(error.message, "error")
    return redirect(to)
