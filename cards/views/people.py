"""The bureau's pages about people and their cards: search, a person's page and statement, and
the writes they offer (status, card issue, freeze, unfreeze, replacement, proxies,
adjustments). ID numbers and phones are masked; one click (a POST, with its CSRF token) shows
one person's in full and is logged (`id_reveal`). Each write validates its form through
`cards.schemas`, calls one service and commits once."""

from __future__ import annotations

from flask import make_response, render_template, request, url_for
from werkzeug.wrappers import Response

from cards import hooks
from cards.models import Beneficiary
from cards.schemas import AdjustmentForm, FreezeForm, ProxyForm, StatusForm, UnfreezeForm
from cards.services import adjustments, beneficiaries, cards, personal, statement
from cards.services.clothing import clothing_status
from cards.services.text import mask_id_number, mask_phone, normalise_text
from cards.views.office import BUREAU, bp, done, form, refused
from core import audit
from core.crypto import FieldCipher
from core.errors import DomainError, NotFound
from core.money import Money
from core.web import (
    app_state,
    current_actor,
    data_keys,
    db_session,
    now,
    roles_required,
    settings,
)


def _person(person_id: int) -> Beneficiary:
    return beneficiaries.get_beneficiary(db_session(), person_id)


def _address() -> str:
    return request.remote_addr or ""


@bp.route("/people", methods=["GET", "POST"])
@roles_required(*BUREAU)
def people() -> str:
    """The search. The page's form posts it, so that an ID number or phone typed in does not
    end up in a URL (browser history, proxy logs); `?q=` still works for links."""
    query = (request.form.get("q") if request.method == "POST" else request.args.get("q")) or ""
    query = query.strip()
    session = db_session()
    found = beneficiaries.search_people(session, query, keys=data_keys())
    cipher = FieldCipher(data_keys())
    return render_template(
        "cards/people.html",
        query=_masked_query(query),
        people=found,
        masked={p.id: personal.masked_id(cipher, p) for p in found},
        counts=beneficiaries.count_people(session),
        status_labels=beneficiaries.STATUS_LABELS,
    )


def _masked_query(query: str) -> str:
    """The search as the page shows it back: a full ID number or phone masked."""
    text = normalise_text(query)
    if len(text) == 18 and text[:17].isdigit():
        return mask_id_number(text.upper())
    if text.isdigit() and 7 <= len(text) <= 13:
        return mask_phone(text)
    return query


def _person_page(who: Beneficiary, numbers: personal.Shown) -> str:
    session = db_session()
    account = who.account
    lines = statement.statement(session, account.id) if account is not None else []
    return render_template(
        "cards/person.html",
        person=who,
        numbers=numbers,
        account=account,
        balance=Money(account.balance_fen if account is not None else 0),
        lines=list(reversed(lines)),
        status_labels=beneficiaries.STATUS_LABELS,
        card_labels=cards.CARD_STATUS_LABELS,
        card_history=cards.card_history(session, account.id) if account is not None else [],
        adjustments=(
            adjustments.account_adjustments(session, account.id) if account is not None else []
        ),
        adjustment_labels=adjustments.STATUS_LABELS,
        allowance=settings().allowance,
        clothing=clothing_status(
            session,
            who.id,
            now(),
            tz=settings().tz,
            allowance=hooks.current().clothing_allowance,
        ),
    )


@bp.get("/people/<int:person_id>")
@roles_required(*BUREAU)
def person(person_id: int) -> str:
    who = _person(person_id)
    return _person_page(who, personal.shown(FieldCipher(data_keys()), who))


@bp.post("/people/<int:person_id>/reveal")
@roles_required(*BUREAU)
def person_reveal(person_id: int) -> Response:
    """The person's page with the full ID number and phones, once, for whoever asked: logged
    (who, when, from which address) and never cached."""
    who = _person(person_id)
    numbers = personal.reveal(
        db_session(),
        who,
        keys=data_keys(),
        actor=current_actor(),
        at=now(),
        address=_address(),
    )
    db_session().commit()
    response = make_response(_person_page(who, numbers))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/people/<int:person_id>/statement", endpoint="statement")
@roles_required(*BUREAU)
def statement_page(person_id: int) -> str:
    """The printable statement (the ID number masked); printing personal data is logged."""
    session = db_session()
    who = _person(person_id)
    if who.account is None:
        raise NotFound("此人尚无账户")
    page = render_template(
        "cards/statement.html",
        person=who,
        id_number=personal.masked_id(FieldCipher(data_keys()), who),
        lines=statement.statement(session, who.account.id),
        balance=Money(who.account.balance_fen),
        printed_at=now(),
    )
    audit.record_now(  # its own transaction: a GET's session only reads
        app_state().db.engine,
        "export",
        actor=current_actor(),
        at=now(),
        subject=f"beneficiary:{who.id}",
        detail={"what": "statement", "format": "html"},
        address=_address(),
    )
    return page


def _page(person_id: int) -> str:
    return url_for("cards.person", person_id=person_id)


def _back(person_id: int, error: DomainError) -> Response:
    return refused(error, _page(person_id))


@bp.post("/people/<int:person_id>/status")
@roles_required(*BUREAU)
def person_status(person_id: int) -> Response:
    who = _person(person_id)
    try:
        data = form(StatusForm)
        beneficiaries.change_status(
            db_session(),
            who,
            data.status,
            reason=data.reason,
            at=now(),
            tz=settings().tz,
            actor=current_actor(),
            address=_address(),
        )
    except DomainError as exc:
        return _back(person_id, exc)
    return done("状态已变更", _page(person_id))


@bp.post("/people/<int:person_id>/issue")
@roles_required(*BUREAU)
def person_issue(person_id: int) -> Response:
    try:
        card = cards.issue_card(
            db_session(), _person(person_id), at=now(), actor=current_actor(), address=_address()
        )
    except DomainError as exc:
        return _back(person_id, exc)
    return done(f"已发卡 {card.card_no}", _page(person_id))


@bp.post("/cards/<card_no>/freeze")
@roles_required(*BUREAU)
def card_freeze(card_no: str) -> Response:
    session = db_session()
    person_id = cards.find_card(session, card_no).account.beneficiary_id
    try:
        data = form(FreezeForm)
        cards.freeze_card(
            session,
            card_no,
            reason=data.reason,
            at=now(),
            actor=current_actor(),
            address=_address(),
        )
    except DomainError as exc:
        return _back(person_id, exc)
    return done(f"卡 {card_no} 已冻结", _page(person_id))


@bp.post("/cards/<card_no>/unfreeze")
@roles_required(*BUREAU)
def card_unfreeze(card_no: str) -> Response:
    session = db_session()
    person_id = cards.find_card(session, card_no).account.beneficiary_id
    try:
        data = form(UnfreezeForm)
        cards.unfreeze_card(
            session,
            card_no,
            reason=data.reason,
            at=now(),
            actor=current_actor(),
            address=_address(),
        )
    except DomainError as exc:
        return _back(person_id, exc)
    return done(f"卡 {card_no} 已恢复使用", _page(person_id))


@bp.post("/cards/<card_no>/replace")
@roles_required(*BUREAU)
def card_replace(card_no: str) -> Response:
    session = db_session()
    person_id = cards.find_card(session, card_no).account.beneficiary_id
    try:
        new = cards.replace_card(
            session, card_no, at=now(), actor=current_actor(), address=_address()
        )
    except DomainError as exc:
        return _back(person_id, exc)
    return done(f"已补卡，新卡号 {new.card_no}，旧卡已注销", _page(person_id))


@bp.post("/people/<int:person_id>/proxies")
@roles_required(*BUREAU)
def person_proxy(person_id: int) -> Response:
    try:
        data = form(ProxyForm)
        beneficiaries.add_proxy(
            db_session(),
            person_id,
            keys=data_keys(),
            name=data.name,
            relation=data.relation,
            phone=data.phone,
            at=now(),
            actor=current_actor(),
        )
    except DomainError as exc:
        return _back(person_id, exc)
    return done("已添加代领人", _page(person_id))


@bp.post("/people/<int:person_id>/adjust")
@roles_required(*BUREAU)
def person_adjust(person_id: int) -> Response:
    """The person page's adjustment: the same service as the API (posted within the limit,
    else waiting in the queue for a second bureau user)."""
    who = _person(person_id)
    try:
        if who.account is None:
            raise NotFound("此人尚无账户")
        data = form(AdjustmentForm)
        made = adjustments.make_adjustment(
            db_session(),
            settings().allowance,
            who.account.id,
            data.amount,
            reason=data.reason,
            at=now(),
            tz=settings().tz,
            actor=current_actor(),
            address=_address(),
        )
    except DomainError as exc:
        return _back(person_id, exc)
    if made.status == "pending":
        return done(
            f"调整 {data.amount.format()} 已提交（#{made.id}），等待另一位民政局工作人员审批",
            _page(person_id),
        )
    return done(f"已调整 {data.amount.format()}", _page(person_id))
