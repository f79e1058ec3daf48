"""The bureau's trend page (`/cards/reports/flows`): credited, spent and lapsed money month by
month over the twelve months ending with the month picked, as a chart and a table (the lapsed
money by month), with its xlsx and csv. The kernel's `core.report_page` draws it."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue

from cards.services import fund_months
from cards.views.office import BUREAU, bp
from core.charts import Series, bar_chart, line_chart
from core.errors import ValidationError
from core.export import Column, Table
from core.money import Money
from core.periods import Month, PeriodError
from core.report_page import ReportPage, report_response
from core.web import db_session, now, roles_required, settings


def flows_table(flows: list[fund_months.MonthFlows]) -> Table:
    return Table(
        [
            Column("月份"),
            Column("充值", "amount"),
            Column("消费（扣除退款）", "amount"),
            Column("过期", "amount"),
            Column("调整", "amount"),
        ],
        [(str(f.month), f.credited, f.spent, f.lapsed, f.adjusted) for f in flows],
        totals=[
            (
                "合计",
                sum((f.credited for f in flows), Money.zero()),
                sum((f.spent for f in flows), Money.zero()),
                sum((f.lapsed for f in flows), Money.zero()),
                sum((f.adjusted for f in flows), Money.zero()),
            )
        ],
    )


@bp.get("/reports/flows")
@roles_required(*BUREAU)
def flows() -> ResponseReturnValue:
    """Twelve months of credited, spent and lapsed money, ending with `month` (default: this
    month)."""
    cfg = settings()
    at = now()
    this_month = Month.of(at, cfg.tz)
    text = request.args.get("month", "").strip()
    try:
        last = Month.parse(text) if text else this_month
    except PeriodError as exc:
        raise ValidationError(str(exc)) from None
    if last.minus(this_month) > 0:
        raise ValidationError(f"月份 {last} 尚未到来")
    rows = fund_months.month_flows(db_session(), last)
    labels = [f"{f.month.month}月" for f in rows]
    trend = line_chart(
        "近 12 个月：充值、消费与过期（元）",
        labels,
        [
            Series("充值", [f.credited.decimal for f in rows]),
            Series("消费", [f.spent.decimal for f in rows]),
            Series("过期", [f.lapsed.decimal for f in rows]),
        ],
    )
    lapsed = bar_chart(
        "每月过期金额（元）", labels, [Series("过期", [f.lapsed.decimal for f in rows])]
    )
    months = [this_month.plus(-i) for i in range(24)]
    options = [(str(m), str(m)) for m in months]
    if last not in months:
        options.insert(0, (str(last), str(last)))
    page = ReportPage(
        "资金走势与每月过期",
        flows_table(rows),
        period=f"{rows[0].month} 至 {rows[-1].month}",
        charts=[trend, lapsed],
        note="按业务日期所在月份统计各卡账户的分录；逐月的资金月报（含期初期末）见“资金月报”。",
        choices={"month": options},
        choice_labels={"month": "截至月份"},
        filename="资金走势",
    )
    return report_response(page, settings=cfg, at=at)
