"""The office's report pages, one pattern for every package: a period picker (`start`, `end`
dates in the query), the report's table with paging (`page`), an optional chart, and the same
table as a printable Excel file (`format=xlsx`) or CSV (`format=csv`) through the kernel's
export writer. The page template is the app's `report.html`.

    period = date_range(request.args, today=today)
    table = Table(...)
    return report_response(ReportPage("按日销售", table, period=period.label), settings=cfg, at=at)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from flask import render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from core.config import Settings
from core.errors import ValidationError
from core.export import Report, Sheet, Table, TitleBlock, csv_bytes, csv_value, xlsx_bytes
from core.export.web import download

PER_PAGE = 50
MAX_DAYS = 400


@dataclass(frozen=True)
class DateRange:
    """Calendar days from `start` to `end`, both included (store time)."""

    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def instants(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as instants: from the first day's midnight to the day after the last."""
        return (
            datetime.combine(self.start, time(0), tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=tz),
        )

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def _day(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"{what}应为日期（如 2026-12-01），实际为 {text!r}") from None


def date_range(args: Mapping[str, str], *, today: date) -> DateRange:
    """The period asked for: `start` and `end` (YYYY-MM-DD); by default this month so far."""
    start_text, end_text = args.get("start", "").strip(), args.get("end", "").strip()
    start = _day(start_text, "开始日期") if start_text else today.replace(day=1)
    end = _day(end_text, "结束日期") if end_text else today
    if end < start:
        raise ValidationError(f"结束日期 {end} 早于开始日期 {start}")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError(f"期间最长 {MAX_DAYS} 天，所选为 {(end - start).days + 1} 天")
    return DateRange(start, end)


@dataclass(frozen=True)
class Page:
    """One page of rows: the `number`-th (from 1) of `pages`."""

    rows: Sequence[Sequence[str]]
    number: int
    pages: int
    total: int


def paginate(rows: Sequence[Sequence[str]], page_text: str, *, per_page: int = PER_PAGE) -> Page:
    """The page asked for (a number from 1; past the end: the last page; not a number: refused)."""
    pages = max(1, -(-len(rows) // per_page))
    text = page_text.strip() or "1"
    if not text.isdigit() or int(text) < 1:
        raise ValidationError(f"页码应为正整数，实际为 {page_text!r}")
    number = min(int(text), pages)
    return Page(rows[(number - 1) * per_page : number * per_page], number, pages, len(rows))


def display(table: Table, tz: tzinfo | None = None) -> tuple[list[list[str]], list[list[str]]]:
    """The table's rows and totals as the text a page shows (as the CSV writes it)."""
    places = [table.places(i) for i in range(len(table.columns))]

    def cells(row: Sequence[object]) -> list[str]:
        return [
            csv_value(value, column.kind, places=places[i], tz=tz)  # type: ignore[arg-type]
            for i, (value, column) in enumerate(zip(row, table.columns, strict=True))
        ]

    return [cells(r) for r in table.rows], [cells(r) for r in table.totals]


@dataclass(frozen=True)
class ReportPage:
    """What one report page shows: its title, the table, the period it covers (text), a chart
    or two, a note under the title, the choices above the table (query name -> [(value, label)])
    and whether the period picker is shown."""

    title: str
    table: Table
    period: str = ""
    charts: Sequence[Markup] = ()
    note: str = ""
    picker: DateRange | None = None
    choices: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    choice_labels: Mapping[str, str] = field(default_factory=dict)
    filename: str = ""


def report_file(report: ReportPage, *, settings: Settings, at: datetime) -> Report:
    title = TitleBlock(
        report.title, store=settings.store.name, printed_at=at, tz=settings.tz, period=report.period
    )
    notes = (report.note,) if report.note else ()
    return Report(title, [Sheet(report.title[:31], [report.table], notes=notes)])


def report_response(
    report: ReportPage, *, settings: Settings, at: datetime, fmt: str | None = None
) -> ResponseReturnValue:
    """The page, or with `format=xlsx` / `format=csv` in the query the file to download."""
    fmt = fmt if fmt is not None else request.args.get("format", "")
    name = f"{report.filename or report.title}-{at.astimezone(settings.tz):%Y-%m-%d}"
    if fmt == "xlsx":
        return download(xlsx_bytes(report_file(report, settings=settings, at=at)), f"{name}.xlsx")
    if fmt == "csv":
        return download(csv_bytes(report.table, tz=settings.tz), f"{name}.csv")
    if fmt:
        raise ValidationError(f"导出格式应为 xlsx 或 csv，实际为 {fmt!r}")
    rows, totals = display(report.table, settings.tz)
    page = paginate(rows, request.args.get("page", ""))
    args = {k: v for k, v in request.args.items() if k not in ("page", "format")}
    return render_template(
        "report.html",
        report=report,
        columns=report.table.columns,
        page=page,
        totals=totals,
        args=args,
    )
