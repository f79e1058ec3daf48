"""Back-office pages (supervisor): product search and edit, receiving, stocktake, write-offs, stock
reports, movement history and printable A4 shelf labels. Thin: the form is validated through the
models of `inventory.schemas` (the API's own), one service call per write, one commit; a refusal
is shown on the page and nothing is written."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from core.auth import Role
from core.charts import Series, bar_chart
from core.errors import DomainError, NotFound, UnknownProduct, ValidationError
from core.export import csv_bytes, xlsx_bytes
from core.export.web import download
from core.forms import read_form, read_input
from core.report_page import ReportPage, report_response
from core.web import current_actor, db_session, now, roles_required, settings
from inventory.models import MOVEMENT_LABELS, SOURCE_LABELS, Product
from inventory.schemas import (
    CounterKeysForm,
    CountRequest,
    NewProduct,
    ProductEdit,
    ReceiptRequest,
    WriteoffRequest,
)
from inventory.services import report_export, valuation
from inventory.services.counter_keys import (
    MAX_QUICK_KEYS,
    CounterKeys,
    quick_key_products,
    set_counter_keys,
)
from inventory.services.counts import count_stock
from inventory.services.labels import barcode_svg
from inventory.services.prices import price_history
from inventory.services.pricing import format_qty, format_rate
from inventory.services.products import (
    create_product,
    get_product,
    products_by_ids,
    require_product,
    search_products,
    update_product,
)
from inventory.services.receiving import receive_stock
from inventory.services.reports import local_day, low_stock, negative_stock, received_between
from inventory.services.stock import movements_of
from inventory.services.writeoffs import WRITEOFF_REASONS, write_off

bp = Blueprint(
    "inventory",
    __name__,
    url_prefix="/inventory",
    template_folder="templates",
    static_folder="static/inventory",
    static_url_path="/static",
)

_SUPERVISOR = (Role.SUPERVISOR,)

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("商品", "inventory.products", _SUPERVISOR),
    ("入库", "inventory.receive", _SUPERVISOR),
    ("盘点", "inventory.stocktake", _SUPERVISOR),
    ("库存报表", "inventory.reports", _SUPERVISOR),
    ("快捷商品", "inventory.quick_keys", _SUPERVISOR),
    ("库存估值", "inventory.valuation_page", _SUPERVISOR),
]

_HELPERS = {
    "fmt_qty": format_qty,
    "fmt_rate": format_rate,
    "barcode_svg": barcode_svg,
    "kinds": MOVEMENT_LABELS,
    "sources": SOURCE_LABELS,
}


def _render(template: str, status: int = 200, **context: object) -> tuple[str, int]:
    return render_template(template, **_HELPERS, **context), status


def _product_or_404(product_id: int) -> Product:
    product = db_session().get(Product, product_id)
    if product is None:
        raise NotFound(f"商品 #{product_id} 不存在")
    return product


def _sheet_reference(prefix: str) -> str:
    """The reference of a receiving or stocktake sheet: its letters and the store-time moment."""
    return f"{prefix}{now().astimezone(settings().tz):%Y%m%d%H%M%S}"


# --- products --------------------------------------------------------------------------------


@bp.get("/products")
@roles_required(Role.SUPERVISOR)
def products() -> ResponseReturnValue:
    q = request.args.get("q", "")
    category = request.args.get("category") or None
    include_inactive = request.args.get("all") == "1"
    found = search_products(
        db_session(), q, category=category, active_only=not include_inactive, limit=200
    )
    return _render("inventory/products.html", products=found, q=q, category=category or "")


@bp.route("/products/new", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def product_new() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        session = db_session()
        try:
            form = read_form(NewProduct, request.form)
            product = create_product(
                session,
                barcode=form.barcode,
                weighed=form.weighed,
                at=now(),
                actor=current_actor(),
                settings=settings(),
                **form.values(),
            )
        except DomainError as exc:
            session.rollback()
            error = exc.message
        else:
            session.commit()
            flash(f"已添加商品 {product.name}（{product.barcode}）")
            return redirect(url_for("inventory.product_edit", product_id=product.id))
    return _render("inventory/product_form.html", 400 if error else 200, product=None, error=error)


@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def product_edit(product_id: int) -> ResponseReturnValue:
    session = db_session()
    product = _product_or_404(product_id)
    error = None
    if request.method == "POST":
        try:
            form = read_form(ProductEdit, request.form)
            changes = update_product(
                session,
                product,
                at=now(),
                actor=current_actor(),
                settings=settings(),
                reason=form.reason,
                active=form.active,
                address=request.remote_addr or "",
                **form.values(),
            )
        except DomainError as exc:
            session.rollback()
            error = exc.message
            product = _product_or_404(product_id)
        else:
            session.commit()
            flash("已保存：" + "，".join(changes) if changes else "没有变化")
            return redirect(url_for("inventory.product_edit", product_id=product.id))
    return _render(
        "inventory/product_form.html",
        400 if error else 200,
        product=product,
        history=price_history(session, product),
        error=error,
    )


@bp.route("/quick-keys", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def quick_keys() -> ResponseReturnValue:
    """The terminal's quick-key grid (goods without a barcode) and open-price items."""
    session = db_session()
    error = None
    if request.method == "POST":
        try:
            form = read_form(CounterKeysForm, request.form)
            product = require_product(session, form.barcode)
            keys = CounterKeys(
                form.quick_key, form.open_price, form.max_price, form.supervisor_above
            )
            set_counter_keys(session, product, keys, at=now(), actor=current_actor())
        except DomainError as exc:
            session.rollback()
            error = exc.message
        else:
            session.commit()
            flash(f"已保存 {product.name} 的快捷键与定价设置")
            return redirect(url_for("inventory.quick_keys"))
    return _render(
        "inventory/quick_keys.html",
        400 if error else 200,
        keys=quick_key_products(session),
        max_keys=MAX_QUICK_KEYS,
        error=error,
    )


@bp.get("/products/<int:product_id>/movements")
@roles_required(Role.SUPERVISOR)
def movements(product_id: int) -> ResponseReturnValue:
    product = _product_or_404(product_id)
    rows = list(movements_of(db_session(), product, limit=1000))
    balance = product.stock_milli
    running = []
    for m in rows:  # newest first: the balance after each movement, walking back
        running.append((m, balance))
        balance -= m.qty_milli
    return _render("inventory/movements.html", product=product, rows=running)


# --- receiving -------------------------------------------------------------------------------


def _lines_from_form() -> list[dict[str, str]]:
    f = request.form
    return [
        {"barcode": b, "qty": q, "cost": c}
        for b, q, c in zip(
            f.getlist("line_barcode"), f.getlist("line_qty"), f.getlist("line_cost"), strict=False
        )
    ]


def _book_receipts(lines: list[dict[str, str]], *, donation: bool, party: str) -> str:
    """Book every line of the sheet as a receipt (one reference); the sheet's party is the
    supplier, or the donor of a donation (the cost column: the value of one donated unit)."""
    if not lines:
        raise ValidationError("入库单没有商品行")
    session = db_session()
    reference = _sheet_reference("RC")
    for number, line in enumerate(lines, start=1):
        where = f"第 {number} 行："
        product = get_product(session, line["barcode"])
        if product is None:
            raise UnknownProduct(f"{where}未找到条码 {line['barcode']}")
        fields = {"qty": line["qty"], "unit_cost": line["cost"] or None, "reference": reference}
        fields["donor" if donation else "supplier"] = party
        receipt = read_input(ReceiptRequest, fields, where=where)
        receive_stock(
            session,
            product,
            receipt.qty,
            at=now(),
            actor=current_actor(),
            unit_cost=receipt.unit_cost,
            supplier=receipt.supplier,
            donor=receipt.donor,
            reference=receipt.reference,
        )
    return reference


@bp.route("/receive", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def receive() -> ResponseReturnValue:
    """A receiving sheet: scan (or type) a barcode and a quantity to add a line; confirm to book
    every line as receipt movements at once, as a purchase or as a donation."""
    session = db_session()
    lines = _lines_from_form() if request.method == "POST" else []
    error = None
    action = request.form.get("action", "add")
    donation = request.form.get("donation") == "1"
    party = request.form.get("party", "").strip()
    if request.method == "POST" and action.startswith("remove:"):
        index = int(action.split(":", 1)[1]) if action.split(":", 1)[1].isdigit() else -1
        lines = [line for i, line in enumerate(lines) if i != index]
    elif request.method == "POST" and action == "add":
        code = request.form.get("scan", "").strip()
        if code:
            if get_product(session, code) is None:
                error = f"未找到条码为 {code} 的商品，请先在“商品”中添加"
            else:
                lines.append(
                    {
                        "barcode": code,
                        "qty": request.form.get("scan_qty", "1").strip() or "1",
                        "cost": request.form.get("scan_cost", "").strip(),
                    }
                )
    elif request.method == "POST" and action == "confirm":
        try:
            reference = _book_receipts(lines, donation=donation, party=party)
        except DomainError as exc:
            session.rollback()
            error = exc.message
        else:
            session.commit()
            flash(f"已入库 {len(lines)} 行（单号 {reference}）")
            return redirect(url_for("inventory.receive"))
    products_by_code = {line["barcode"]: get_product(session, line["barcode"]) for line in lines}
    return _render(
        "inventory/receive.html",
        400 if error else 200,
        lines=lines,
        products=products_by_code,
        error=error,
        donation=donation,
        party=request.form.get("party", ""),
    )


# --- stocktake and write-offs ----------------------------------------------------------------


@bp.route("/stocktake", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def stocktake() -> ResponseReturnValue:
    """A stocktake sheet for one category (or a search): the counted quantity is entered; every
    difference is recorded as a count movement with the reason. Blank lines are not counted."""
    session = db_session()
    category = request.values.get("category", "")
    q = request.values.get("q", "")
    found = search_products(session, q, category=category or None, limit=500)
    error = None
    if request.method == "POST":
        reason = request.form.get("reason", "").strip()
        reference = _sheet_reference("PD")
        changed = counted = 0
        try:
            for product in found:
                text = request.form.get(f"counted_{product.id}", "").strip()
                if not text:
                    continue
                counted += 1
                line_reason = request.form.get(f"reason_{product.id}", "").strip() or reason
                line = read_input(
                    CountRequest,
                    {"counted": text, "reason": line_reason or "盘点"},
                    where=f"{product.name}：",
                )
                movement = count_stock(
                    session,
                    product,
                    line.counted,
                    reason=line.reason,
                    at=now(),
                    actor=current_actor(),
                    reference=reference,
                )
                changed += movement is not None
        except DomainError as exc:
            session.rollback()
            error = exc.message
        else:
            session.commit()
            flash(f"盘点完成：清点 {counted} 个商品，{changed} 个有差异已调整（单号 {reference}）")
            return redirect(url_for("inventory.stocktake", category=category, q=q))
    return _render(
        "inventory/stocktake.html",
        400 if error else 200,
        products=found,
        category=category,
        q=q,
        error=error,
    )


@bp.route("/writeoff", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def writeoff() -> ResponseReturnValue:
    session = db_session()
    error = None
    if request.method == "POST":
        reason = request.form.get("reason", "").strip()
        note = request.form.get("note", "").strip()
        try:
            product = require_product(session, request.form.get("barcode", ""))
            if reason not in WRITEOFF_REASONS:
                raise ValidationError("请选择报损原因")
            line = read_input(
                WriteoffRequest,
                {
                    "qty": request.form.get("qty", ""),
                    "reason": f"{reason}：{note}" if note else reason,
                },
            )
            write_off(
                session, product, line.qty, reason=line.reason, at=now(), actor=current_actor()
            )
        except DomainError as exc:
            session.rollback()
            error = exc.message
        else:
            session.commit()
            flash(f"已报损 {product.name}，现库存 {format_qty(product.stock_milli)}{product.unit}")
            return redirect(url_for("inventory.writeoff"))
    return _render(
        "inventory/writeoff.html", 400 if error else 200, reasons=WRITEOFF_REASONS, error=error
    )


@bp.get("/reports")
@roles_required(Role.SUPERVISOR)
def reports() -> ResponseReturnValue:
    session = db_session()
    return _render(
        "inventory/reports.html", low=low_stock(session), negative=negative_stock(session)
    )


@bp.get("/reports/<which>.<fmt>")
@roles_required(Role.SUPERVISOR)
def report_download(which: str, fmt: str) -> ResponseReturnValue:
    """The stock warnings: both lists as one printable Excel sheet (`all.xlsx`), or one list as a
    CSV (`low.csv`, `negative.csv`: UTF-8 with BOM, for Excel)."""
    session = db_session()
    at = now()
    day = at.astimezone(settings().tz).date().isoformat()
    if which == "all" and fmt == "xlsx":
        report = report_export.stock_warnings(session, settings(), at=at)
        return download(xlsx_bytes(report), f"库存报表-{day}.xlsx")
    if which in report_export.WHICH and fmt == "csv":
        table = report_export.warning_table(which, session)
        name = "低库存" if which == "low" else "负库存"
        return download(csv_bytes(table), f"{name}-{day}.csv")
    raise NotFound("没有这个报表")


# --- shelf labels ----------------------------------------------------------------------------


@bp.get("/labels")
@roles_required(Role.SUPERVISOR)
def labels() -> ResponseReturnValue:
    """An A4 sheet of shelf labels: `?id=1&id=2` for chosen products, `?received=today` (or a
    date, YYYY-MM-DD) for everything received that day."""
    session = db_session()
    received = request.args.get("received", "")
    title = "货架标签"
    if received:
        tz = settings().tz
        if received == "today":
            day = now().astimezone(tz).date()
        else:
            try:
                day = date.fromisoformat(received)
            except ValueError:
                raise ValidationError(f"日期 {received} 无效，应为 YYYY-MM-DD") from None
        start, end = local_day(day, tz)
        chosen = list(received_between(session, start, end))
        title = f"{day:%Y-%m-%d} 入库商品标签"
    else:
        ids = [int(i) for i in request.args.getlist("id") if i.isdigit()]
        chosen = list(products_by_ids(session, ids))
    return _render("inventory/labels.html", products=chosen, title=title)


@bp.get("/reports/valuation")
@roles_required(Role.SUPERVISOR)
def valuation_page() -> ResponseReturnValue:
    """Stock valuation now, at cost and at list price, with a chart by category."""
    cfg = settings()
    at = now()
    report = valuation.stock_valuation(db_session())
    categories = valuation.by_category(report)[:12]
    chart = bar_chart(
        "各类别库存金额（元）",
        [c for c, _, _ in categories],
        [
            Series("成本金额", [cost.decimal for _, cost, _ in categories]),
            Series("标价金额", [listed.decimal for _, _, listed in categories]),
        ],
    )
    page = ReportPage(
        "库存估值",
        valuation.valuation_table(report),
        period=f"截至 {at.astimezone(cfg.tz):%Y-%m-%d %H:%M}",
        charts=[chart],
        note="库存按商品统一记一个数（不分门店）。成本按最近一次采购单价计，"
        "从未采购过的（捐赠或盘点入库）按 0 计；标价按现行标价计。",
        filename="库存估值",
    )
    return report_response(page, settings=cfg, at=at)
