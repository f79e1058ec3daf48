"""The bureau's fund statement page (`/cards/fund`: a month picker, the statement, its xlsx and
csv downloads) and the month close page (`/cards/months`: the months, closing an ended one)."""

from __future__ import annotations

from datetime import datetime

from flask import render_template, request, url_for
from werkzeug.wrappers import Response

from cards import hooks
from cards.schemas import MonthForm
from cards.services import fund_export, fund_statement, month_close
from cards.views.office import BUREAU, bp, done, refused
from core.errors import DomainError
from core.export import csv_bytes, xlsx_bytes
from core.export.web import download
from core.forms import read_form
from core.periods import Month
from core.web import current_actor, db_session, now, roles_required, settings


def _month(text: str) -> Month:
    return fund_statement.report_month(text, at=now(), settings=settings())


@bp.get("/fund")
@roles_required(*BUREAU)
def fund() -> str:
    """The statement of the month picked (default: the last month)."""
    config = settings()
    default = str(Month.of(now(), config.tz).previous())
    text = read_form(MonthForm, request.args).month or default
    error = None
    statement = None
    try:
        month = _month(text)
        statement = fund_statement.fund_statement(db_session(), config, month, hooks.current())
    except DomainError as exc:
        error = exc.message
    return render_template(
        "cards/fund.html", statement=statement, month=text, error=error, columns=_COLUMNS
    )


_COLUMNS = fund_statement.COLUMNS[2:]


@bp.get("/fund/<month>.<any(xlsx, csv):kind>")
@roles_required(*BUREAU)
def fund_download(month: str, kind: str) -> Response:
    """The statement as a printable workbook or as csv (the category table)."""
    config = settings()
    try:
        period = _month(month)
    except DomainError as exc:
        return refused(exc, url_for("cards.fund"))
    statement = fund_statement.fund_statement(db_session(), config, period, hooks.current())
    if kind == "csv":
        return download(csv_bytes(fund_export.category_table(statement)), f"资金月报{period}.csv")
    report = fund_export.fund_report(statement, store=config.store.name, at=now(), tz=config.tz)
    return download(xlsx_bytes(report), f"资金月报{period}.xlsx")


def _recent_months(at: datetime, count: int = 12) -> list[Month]:
    current = Month.of(at, settings().tz)
    return [current.plus(-n) for n in range(count)]


@bp.get("/months")
@roles_required(*BUREAU)
def months() -> str:
    """The last twelve months and every closed one: closed (with seal), or closable once ended."""
    session = db_session()
    closed = {r.month: r for r in month_close.closed_months(session)}
    shown = sorted({*map(str, _recent_months(now())), *closed}, reverse=True)
    current = str(Month.of(now(), settings().tz))
    return render_template("cards/months.html", months=shown, closed=closed, current=current)


@bp.post("/months/<month>/close")
@roles_required(*BUREAU)
def close_month(month: str) -> Response:
    """Close an ended month (POST with the page's CSRF token)."""
    session = db_session()
    try:
        period = _month(month)
        outcome = month_close.close_month(
            session, settings(), period, hooks.current(), at=now(), actor=current_actor()
        )
    except DomainError as exc:
        return refused(exc, url_for("cards.months"))
    said = "已结账过，未做任何改动" if outcome.already else "已结账"
    return done(f"{period} {said}。封印：{outcome.seal}", url_for("cards.months"))
