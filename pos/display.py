"""The customer display (客显) at `/display`: a page for a second monitor or a small tablet that
follows the terminal's cart by short polling (no CDN, no inline script): each line with 标价 and
慈善价, the saving, the total, the card's balance before and after, the masked holder; between
customers, the store's notices. The terminal sends its screen with `PUT /api/v1/terminal/display`."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, render_template
from pydantic import Field

from core.auth import Role
from core.web import (
    ApiBlueprint,
    ApiModel,
    db_session,
    now,
    passive,
    roles_required,
    settings,
)
from pos.services import display

bp = Blueprint("display", __name__, template_folder="templates")
api = ApiBlueprint("display_api", __name__, tag="checkout")

_Short = Field(default="", max_length=100)
_Amount = Field(default="", max_length=16)


class DisplayLine(ApiModel):
    name: str = _Short
    spec: str = _Short
    qty: str = _Amount
    unit: str = Field(default="", max_length=10)
    list_price: str = _Amount
    charity_price: str = _Amount
    total: str = _Amount


class DisplayCard(ApiModel):
    holder: str = Field(default="", max_length=32)  # masked, as the terminal shows it
    balance: str = _Amount
    balance_after: str | None = Field(default=None, max_length=16)


class DisplayIn(ApiModel):
    state: Literal["idle", "cart", "done"]
    lines: list[DisplayLine] = Field(default_factory=list, max_length=200)
    list_total: str = _Amount
    discount_total: str = _Amount
    total: str = _Amount
    card: DisplayCard | None = None
    change: str | None = Field(default=None, max_length=16)


class DisplayOut(DisplayIn):
    store: str = ""
    notices: list[str] = Field(default_factory=list)


@api.operation(
    "/terminal/display",
    method="PUT",
    summary="收银台把当前画面（购物清单、合计、卡余额）送到顾客显示屏",
    roles=(Role.CASHIER,),
    body=DisplayIn,
    errors=("validation_error",),
)
def send(body: DisplayIn) -> dict[str, bool]:
    session = db_session()
    display.show(session, settings().store.terminal, body.model_dump(mode="json"), at=now())
    session.commit()
    return {"ok": True}


def _notices() -> list[str]:
    return [line.strip() for line in settings().store.notices.splitlines() if line.strip()]


@bp.get("/display")
@roles_required(Role.CASHIER)
def page() -> str:
    """The display page; its script polls `/display/state` about every second."""
    return render_template("pos/display.html", notices=_notices())


@bp.get("/display/state")
@roles_required(Role.CASHIER)
@passive  # polled every second: not the cashier's activity (the idle timeout still comes)
def state() -> dict[str, object]:
    shown = display.current(db_session(), settings().store.terminal, at=now())
    answer = DisplayOut.model_validate({**shown, "store": settings().store.name})
    answer.notices = _notices()
    return answer.model_dump(mode="json")
