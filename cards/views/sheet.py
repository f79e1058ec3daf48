"""The printable card sheet (CR80 cards): the masked holder, the category, the number as a
Code128 barcode and in groups of four, and the QR code of the balance page. Printing cards
hands out their QR tokens: each sheet is logged (`export`)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from barcode import Code128
from barcode.writer import SVGWriter
from flask import render_template, request
from markupsafe import Markup

from cards import qr
from cards.models import Card
from cards.services import cards
from cards.services.text import mask_name
from cards.views.office import BUREAU, bp
from core import audit
from core.svg import without_inline_styles
from core.web import app_state, current_actor, db_session, now, roles_required, settings


def barcode_svg(card_no: str) -> Markup:
    """The card number as a Code128 barcode (inline SVG)."""
    out = io.BytesIO()
    Code128(card_no, writer=SVGWriter()).write(
        out,
        options={
            "write_text": False,
            "module_width": 0.3,
            "module_height": 9.0,
            "quiet_zone": 2.0,
        },
    )
    svg = without_inline_styles(out.getvalue().decode("utf-8"))
    return Markup(svg[svg.index("<svg") :])  # noqa: S704 - generated from digits only


def qr_svg(url: str) -> Markup:
    """The card's QR (with its full quiet zone, so a phone reads it from a printed card)."""
    return Markup(qr.qr_svg(url, size="22mm"))  # noqa: S704 - our own generated SVG


@dataclass(frozen=True)
class SheetItem:
    """One printed card."""

    card: Card
    holder: str
    category: str
    barcode: Markup
    qr: Markup
    spaced: str


@bp.get("/sheet")
@roles_required(*BUREAU)
def sheet() -> str:
    """Printable cards (CR80): `?card=NO` (repeatable), or `?all=1` for every active card."""
    numbers = [n for n in request.args.getlist("card") if n.strip()]
    base = settings().balance_page.base_url
    warning = qr.loopback_warning(base)
    if not numbers and not request.args.get("all"):  # nothing chosen yet: say how to choose
        return render_template("cards/sheet_choose.html", warning=warning)
    chosen = cards.active_cards(db_session(), numbers or None)
    items = [
        SheetItem(
            card=card,
            holder=mask_name(card.account.beneficiary.name),
            category=card.account.beneficiary.category,
            barcode=barcode_svg(card.card_no),
            qr=qr_svg(cards.qr_url(base, card.qr_token)),
            spaced=" ".join(re.findall(r"\d{4}", card.card_no)),
        )
        for card in chosen
    ]
    page = render_template("cards/sheet.html", items=items, warning=warning)
    audit.record_now(  # its own transaction: a GET's session only reads
        app_state().db.engine,
        "export",
        actor=current_actor(),
        at=now(),
        subject="card sheet",
        detail={"what": "card_sheet", "cards": len(items), "all": not numbers},
        address=request.remote_addr or "",
    )
    return page
