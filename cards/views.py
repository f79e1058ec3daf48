"""Back-office pages for beneficiaries, cards and top-ups (bureau role), the printable card sheet
and statement, and the cards JSON API. Views are thin: they call services and commit once."""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
from pathlib import Path
from typing import Any

from barcode import Code128
from barcode.writer import SVGWriter
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from cards import ledger, qr, roster, services, topup
from cards.models import Beneficiary, Card, TopUpRun
from core.auth import Role
from core.errors import DomainError, NotFound, ValidationError
from core.money import Money, MoneyError
from core.periods import Month, PeriodError
from core.web import (
    ApiBlueprint,
    ApiModel,
    current_actor,
    db_session,
    now,
    roles_required,
    settings,
)

bp = Blueprint("cards", __name__, url_prefix="/cards", template_folder="templates")
api = ApiBlueprint("cards_api", __name__, tag="cards")

_BUREAU = (Role.BUREAU,)

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("救助对象", "cards.people", _BUREAU),
    ("名册导入", "cards.import_roster", _BUREAU),
    ("月度充值", "cards.topups", _BUREAU),
]


# --- the JSON API ----------------------------------------------------------------------------


class ClothingAnswer(ApiModel):
    quarter: str
    allowed: int
    used: int


class CardAnswer(ApiModel):
    card_no: str
    status: str
    holder: str
    category: str
    balance: str
    clothing: ClothingAnswer


@api.operation(
    "/cards/<card_no>",
    summary="查询一张卡：状态、持卡人（脱敏）、类别、余额、本季度衣物额度",
    roles=(),
    response=CardAnswer,
    errors=("unknown_card", "unauthorized"),
)
def card_info(card_no: str) -> CardAnswer:
    session = db_session()
    card = services.find_card(session, card_no)
    person = card.account.beneficiary
    clothing = services.clothing_status(session, person.id, now())
    return CardAnswer(
        card_no=card.card_no,
        status=card.status,
        holder=services.mask_name(person.name),
        category=person.category,
        balance=str(Money(card.account.balance_fen)),
        clothing=ClothingAnswer(
            quarter=clothing.quarter, allowed=clothing.allowed, used=clothing.used
        ),
    )


# --- helpers for the pages -------------------------------------------------------------------


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
    svg = out.getvalue().decode("utf-8")
    return Markup(svg[svg.index("<svg") :])  # noqa: S704 - generated from digits only


def qr_svg(url: str) -> Markup:
    """The card's QR (with its full quiet zone, so a phone reads it from a printed card)."""
    return Markup(qr.qr_svg(url, size="22mm"))  # noqa: S704 - our own generated SVG


def _person(person_id: int) -> Beneficiary:
    person = db_session().get(Beneficiary, person_id)
    if person is None:
        raise NotFound("救助对象不存在")
    return person


def _upload_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / "charity-roster-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- people ----------------------------------------------------------------------------------


@bp.get("/people")
@roles_required(*_BUREAU)
def people() -> str:
    query = request.args.get("q", "").strip()
    session = db_session()
    found = services.search_people(session, query)
    counts = services.count_people(session)
    return render_template(
        "cards/people.html",
        query=query,
        people=found,
        counts=counts,
        status_labels=services.STATUS_LABELS,
    )


@bp.get("/people/<int:person_id>")
@roles_required(*_BUREAU)
def person(person_id: int) -> str:
    session = db_session()
    who = _person(person_id)
    account = who.account
    lines = ledger.statement(session, account.id) if account is not None else []
    return render_template(
        "cards/person.html",
        person=who,
        account=account,
        balance=Money(account.balance_fen if account is not None else 0),
        lines=list(reversed(lines)),
        status_labels=services.STATUS_LABELS,
        card_labels=services.CARD_STATUS_LABELS,
        clothing=services.clothing_status(session, who.id, now()),
    )


@bp.get("/people/<int:person_id>/statement")
@roles_required(*_BUREAU)
def statement(person_id: int) -> str:
    session = db_session()
    who = _person(person_id)
    if who.account is None:
        raise NotFound("此人尚无账户")
    return render_template(
        "cards/statement.html",
        person=who,
        lines=ledger.statement(session, who.account.id),
        balance=Money(who.account.balance_fen),
        printed_at=now(),
    )


def _action(person_id: int, done: str) -> Response:
    """Commit after a service call, or show its refusal on the person page."""
    db_session().commit()
    flash(done, "ok")
    return redirect(url_for("cards.person", person_id=person_id))


def _refused(person_id: int, error: DomainError) -> Response:
    db_session().rollback()
    flash(error.message, "error")
    return redirect(url_for("cards.person", person_id=person_id))


@bp.post("/people/<int:person_id>/status")
@roles_required(*_BUREAU)
def person_status(person_id: int) -> Response:
    who = _person(person_id)
    try:
        services.set_status(
            db_session(),
            who.id_number,
            request.form.get("status", ""),
            reason=request.form.get("reason", ""),
            at=now(),
            actor=current_actor(),
        )
    except DomainError as exc:
        return _refused(person_id, exc)
    return _action(person_id, "状态已变更")


@bp.post("/people/<int:person_id>/issue")
@roles_required(*_BUREAU)
def person_issue(person_id: int) -> Response:
    try:
        card = services.issue_card(
            db_session(), _person(person_id), at=now(), actor=current_actor()
        )
    except DomainError as exc:
        return _refused(person_id, exc)
    return _action(person_id, f"已发卡 {card.card_no}")


@bp.post("/cards/<card_no>/freeze")
@roles_required(*_BUREAU)
def card_freeze(card_no: str) -> Response:
    session = db_session()
    card = services.find_card(session, card_no)
    person_id = card.account.beneficiary_id
    try:
        services.freeze_card(
            session, card_no, reason=request.form.get("reason", ""), at=now(), actor=current_actor()
        )
    except DomainError as exc:
        return _refused(person_id, exc)
    return _action(person_id, f"卡 {card_no} 已冻结")


@bp.post("/cards/<card_no>/replace")
@roles_required(*_BUREAU)
def card_replace(card_no: str) -> Response:
    session = db_session()
    card = services.find_card(session, card_no)
    person_id = card.account.beneficiary_id
    try:
        new = services.replace_card(session, card_no, at=now(), actor=current_actor())
    except DomainError as exc:
        return _refused(person_id, exc)
    return _action(person_id, f"已补卡，新卡号 {new.card_no}，旧卡已注销")


@bp.post("/people/<int:person_id>/proxies")
@roles_required(*_BUREAU)
def person_proxy(person_id: int) -> Response:
    try:
        services.add_proxy(
            db_session(),
            person_id,
            name=request.form.get("name", ""),
            relation=request.form.get("relation", ""),
            phone=request.form.get("phone", ""),
            at=now(),
            actor=current_actor(),
        )
    except DomainError as exc:
        return _refused(person_id, exc)
    return _action(person_id, "已添加代领人")


@bp.post("/people/<int:person_id>/adjust")
@roles_required(*_BUREAU)
def person_adjust(person_id: int) -> Response:
    who = _person(person_id)
    try:
        if who.account is None:
            raise NotFound("此人尚无账户")
        try:
            amount = Money.parse(request.form.get("amount", ""))
        except MoneyError as exc:
            raise ValidationError(str(exc)) from None
        ledger.adjust(
            db_session(),
            who.account.id,
            amount,
            reason=request.form.get("reason", ""),
            at=now(),
            actor=current_actor(),
        )
    except DomainError as exc:
        return _refused(person_id, exc)
    return _action(person_id, f"已调整 {amount.format()}")


# --- card sheet ------------------------------------------------------------------------------


@bp.get("/sheet")
@roles_required(*_BUREAU)
def sheet() -> str:
    """Printable cards (CR80): `?card=NO` (repeatable), or `?all=1` for every active card."""
    session = db_session()
    numbers = [n for n in request.args.getlist("card") if n.strip()]
    query = select(Card).where(Card.status == "active").order_by(Card.id)
    if numbers:
        query = query.where(Card.card_no.in_([services.normalise_text(n) for n in numbers]))
    elif not request.args.get("all"):
        abort(400)
    chosen = session.scalars(query.limit(1000)).all()
    base = settings().balance_page.base_url
    items = [
        {
            "card": card,
            "holder": services.mask_name(card.account.beneficiary.name),
            "category": card.account.beneficiary.category,
            "barcode": barcode_svg(card.card_no),
            "qr": qr_svg(services.qr_url(base, card.qr_token)),
            "spaced": " ".join(re.findall(r"\d{4}", card.card_no)),
        }
        for card in chosen
    ]
    return render_template("cards/sheet.html", items=items)


# --- roster import ---------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*_BUREAU)
def import_roster() -> Any:
    """Upload a roster, see the preview (diff and every invalid row), confirm to commit."""
    config = settings()
    session = db_session()
    if request.method == "POST" and request.form.get("confirm"):
        digest = request.form.get("digest", "")
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValidationError("导入已过期，请重新上传文件")
        stored = _upload_dir() / digest
        if not stored.exists():
            raise ValidationError("导入已过期，请重新上传文件")
        data = stored.read_bytes()
        plan = roster.plan_import(
            session,
            data,
            request.form.get("filename", "名册"),
            categories=config.allowance.categories,
            at=now(),
            tz=config.tz,
        )
        try:
            record = roster.apply_import(
                session,
                plan,
                skip_invalid=bool(request.form.get("skip_invalid")),
                exit_missing=bool(request.form.get("exit_missing")),
                at=now(),
                actor=current_actor(),
                tz=config.tz,
            )
        except DomainError as exc:
            session.rollback()
            return render_template("cards/import.html", plan=plan, error=exc.message, digest=digest)
        session.commit()
        stored.unlink(missing_ok=True)
        if record is None:
            flash("此文件已导入过，没有任何变化", "ok")
        else:
            flash(
                f"已导入：新增 {record.added} 人，变更 {record.changed} 人，退出 {record.exited} 人，"
                f"跳过 {record.skipped} 行",
                "ok",
            )
        return redirect(url_for("cards.people"))
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return render_template("cards/import.html", plan=None, error="请选择名册文件")
        data = upload.read()
        digest = hashlib.sha256(data).hexdigest()
        try:
            plan = roster.plan_import(
                session,
                data,
                upload.filename,
                categories=config.allowance.categories,
                at=now(),
                tz=config.tz,
            )
        except DomainError as exc:
            return render_template("cards/import.html", plan=None, error=exc.message)
        session.rollback()
        (_upload_dir() / digest).write_bytes(data)
        return render_template("cards/import.html", plan=plan, digest=digest, error=None)
    return render_template("cards/import.html", plan=None, error=None)


# --- top-ups ---------------------------------------------------------------------------------


@bp.route("/topups", methods=["GET", "POST"])
@roles_required(*_BUREAU)
def topups() -> Any:
    """Top-up runs: preview a month, prepare (and post, with single approval), history."""
    config = settings()
    session = db_session()
    shown = None
    error = None
    month_text = request.values.get("month", "") or str(Month.of(now(), config.tz))
    if request.method == "POST":
        try:
            month = topup.parse_month(month_text, at=now(), settings=config)
            outcome = topup.run_topup(session, config, month, at=now(), actor=current_actor())
            if outcome.run is None:
                raise ValidationError(f"{month} 没有尚未充值的符合条件账户")
            session.commit()
            flash(
                f"批次 #{outcome.run.id} 已入账"
                if outcome.posted
                else f"批次 #{outcome.run.id} 已准备，等待另一位民政局工作人员审批",
                "ok",
            )
            return redirect(url_for("cards.topups"))
        except (DomainError, PeriodError) as exc:
            session.rollback()
            error = exc.message if isinstance(exc, DomainError) else str(exc)
    elif request.args.get("month"):
        try:
            shown = topup.preview(
                session, config, topup.parse_month(month_text, at=now(), settings=config)
            )
        except (DomainError, PeriodError) as exc:
            error = exc.message if isinstance(exc, DomainError) else str(exc)
    runs = session.scalars(select(TopUpRun).order_by(TopUpRun.id.desc()).limit(50)).all()
    return render_template(
        "cards/topups.html",
        runs=runs,
        previews={r.id: topup.TopUpPreview.from_json(r.preview_json) for r in runs},
        shown=shown,
        month=month_text,
        error=error,
        approval=config.allowance.approval,
    )


@bp.post("/topups/<int:run_id>/approve")
@roles_required(*_BUREAU)
def topup_approve(run_id: int) -> Response:
    session = db_session()
    try:
        topup.approve_run(session, settings(), run_id, at=now(), actor=current_actor())
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("cards.topups"))
    session.commit()
    flash(f"批次 #{run_id} 已审批入账", "ok")
    return redirect(url_for("cards.topups"))


@bp.post("/topups/<int:run_id>/cancel")
@roles_required(*_BUREAU)
def topup_cancel(run_id: int) -> Response:
    session = db_session()
    try:
        topup.cancel_run(session, run_id, at=now(), actor=current_actor())
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("cards.topups"))
    session.commit()
    flash(f"批次 #{run_id} 已取消", "ok")
    return redirect(url_for("cards.topups"))


def init_app(app: Any) -> None:
    @app.template_filter("mask_name")
    def _mask_name(value: str) -> str:
        return services.mask_name(value or "")

    @app.template_filter("mask_id")
    def _mask_id(value: str) -> str:
        return services.mask_id_number(value or "")
