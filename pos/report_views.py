"""The office's report pages that read the sales (blueprint `bp`, under /office/reports): sales
for a period by day, hour, cashier, category and product (supervisor), and the outreach list of
card holders who stopped shopping (bureau; names masked on the page, full in the export, which is
audited). Thin: the figures are `pos.services.sales_report` / `dormant`, the page and the files
the kernel's `core.report_page`."""

from __future__ import annotations

from flask import Blueprint, request
from flask.typing import ResponseReturnValue

from core import audit
from core.auth import Role
from core.charts import Series, bar_chart
from core.errors import ValidationError
from core.export import Column, Kind, Table
from core.money import Money
from core.report_page import ReportPage, date_range, report_response
from core.web import app_state, current_actor, db_session, now, roles_required, settings
from pos.services import dormant, sales_report

bp = Blueprint("reports", __name__, url_prefix="/office/reports")

NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("销售报表", "reports.sales", (Role.SUPERVISOR.value,)),
    ("走访名单", "reports.dormant_list", (Role.BUREAU.value,)),
]


@bp.get("/sales")
@roles_required(Role.SUPERVISOR)
def sales() -> ResponseReturnValue:
    """Sales for a period, grouped by the `by` asked for, with its chart."""
    cfg = settings()
    at = now()
    by_text = request.args.get("by", "day")
    if by_text not in sales_report.BY:
        raise ValidationError(f"分组应为 按日/按时段/按收银员/按类别/按商品，实际为 {by_text!r}")
    by = by_text
    period = date_range(request.args, today=at.astimezone(cfg.tz).date())
    start, end = period.instants(cfg.tz)
    report = sales_report.sales_report(db_session(), by, start, end, cfg.tz)
    label = sales_report.BY_LABELS[by]
    chart_title = {
        "hour": "各时段购物笔数（来店人次）",
        "category": "各类别销售额",
        "product": "销售额前 12 的商品",
    }.get(by, f"{label}销售额")
    chart = bar_chart(chart_title, report.labels, [Series(report.value_name, report.values)])
    page = ReportPage(
        f"销售报表（{label}）",
        report.table,
        period=period.label,
        charts=[chart],
        note="不含已作废的销售；已退款为这些销售中后来退回的金额。",
        picker=period,
        choices={"by": [(b, sales_report.BY_LABELS[b]) for b in sales_report.BY]},
        choice_labels={"by": "分组"},
        filename=f"销售报表{label}",
    )
    return report_response(page, settings=cfg, at=at)


@bp.get("/dormant")
@roles_required(Role.BUREAU)
def dormant_list() -> ResponseReturnValue:
    """The outreach list: the page shows masked names; the export carries the full names (the
    bureau's own), and each export is recorded in the audit log."""
    cfg = settings()
    at = now()
    months_text = request.args.get("months", str(dormant.DEFAULT_MONTHS)).strip()
    if not months_text.isdigit():
        raise ValidationError(f"月数应为 1 到 120 之间的整数，实际为 {months_text!r}")
    months = dormant.check_months(int(months_text))
    holders = dormant.dormant_holders(db_session(), months=months, at=at, tz=cfg.tz)
    fmt = request.args.get("format", "")
    exporting = fmt in ("xlsx", "csv")
    kinds: tuple[Kind, ...] = ("text", "text", "text", "text", "text", "date", "amount")
    titles = ("卡号", "姓名", "类别", "乡镇", "社区", "最后购物", "余额")
    table = Table(
        [Column(t, k) for t, k in zip(titles, kinds, strict=True)],
        [
            (
                h.card_no,
                h.name if exporting else h.masked_name,
                h.category,
                h.town,
                h.community,
                h.last_purchase,
                h.balance,
            )
            for h in holders
        ],
        totals=[
            (
                "合计",
                f"{len(holders)} 人",
                "",
                "",
                "",
                None,
                sum((h.balance for h in holders), Money.zero()),
            )
        ],
    )
    if exporting:
        audit.record_now(
            app_state().db.engine,
            "export",
            actor=current_actor(),
            at=at,
            subject="report dormant",
            detail={"format": fmt, "rows": len(holders), "personal": ["name"]},
            address=request.remote_addr or "",
        )
    options = [(str(n), f"{n} 个月") for n in (1, 2, 3, 6, 12)]
    if months_text not in {v for v, _ in options}:
        options.insert(0, (str(months), f"{months} 个月"))
    page = ReportPage(
        "走访名单：久未购物的持卡人",
        table,
        period=f"最近 {months} 个月没有用卡购物（截至 {at.astimezone(cfg.tz):%Y-%m-%d}）",
        note="在册、持有效卡的救助对象；页面上姓名脱敏，导出文件为完整姓名（导出记入审计日志）。"
        "最后购物为空表示从未用卡购物。",
        choices={"months": options},
        choice_labels={"months": "多久没有购物"},
        filename="走访名单",
    )
    return report_response(page, settings=cfg, at=at)
