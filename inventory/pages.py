"""Back-office pages (supervisor): product search and edit, receiving, stocktake, write-offs, stock
reports, movement history and printable A4 shelf labels. Thin: parse the form, call the services,
commit once; a refusal is shown on the page and nothing is written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from core.auth import Role
from core.errors import DomainError, NotFound, UnknownProduct, ValidationError
from core.money import Money, MoneyError, parse_decimal
from core.web import current_actor, db_session, now, roles_required, settings
from inventory.barcode_svg import barcode_svg
from inventory.models import MOVEMENT_LABELS, SOURCE_LABELS, Product
from inventory.pricing import format_qty, format_rate, parse_rate
from inventory.services import (
    count_stock,
    create_product,
    get_product,
    local_day,
    low_stock,
    movements_of,
    negative_stock,
    price_history,
    products_by_ids,
    received_between,
    record_movement,
    search_products,
    update_product,
)
from inventory.views import bp

WRITEOFF_REASONS = ("过期", "破损", "变质", "丢失", "其他")


def _helpers() -> dict[str, Any]:
    return {
        "fmt_qty": format_qty,
        "fmt_rate": format_rate,
        "barcode_svg": barcode_svg,
        "kinds": MOVEMENT_LABELS,
        "sources": SOURCE_LABELS,
    }


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_template(template, **_helpers(), **context), status


def _product_or_404(product_id: int) -> Product:
    product = db_session().get(Product, product_id)
    if product is None:
        raise NotFound(f"商品 #{product_id} 不存在")
    return product


def _qty(text: str, what: str) -> Decimal:
    try:
        return parse_decimal(text or "", places=3, what=what)
    except MoneyError as exc:
        raise ValidationError(str(exc)) from None


def _money(text: str, what: str) -> Money:
    try:
        return Money.parse(text or "")
    except MoneyError as exc:
        raise ValidationError(f"{what}：{exc}") from None


# --- products --------------------------------------------------------------------------------


@bp.get("/products")
@roles_required(Role.SUPERVISOR)
def products() -> Any:
    q = request.args.get("q", "")
    category = request.args.get("category") or None
    include_inactive = request.args.get("all") == "1"
    found = search_products(
        db_session(), q, category=category, active_only=not include_inactive, limit=200
    )
    return _render("inventory/products.html", products=found, q=q, category=category or "")


def _product_form() -> dict[str, Any]:
    f = request.form
    values: dict[str, Any] = {
        "name": f.get("name", ""),
        "spec": f.get("spec", ""),
        "unit": f.get("unit", ""),
        "category": f.get("category", ""),
        "source": f.get("source", "purchased"),
        "clothing": f.get("clothing") == "1",
        "reorder_level": _qty(f.get("reorder_level") or "0", "预警库存"),
        "list_price": _money(f.get("list_price", ""), "标价"),
    }
    rate = f.get("discount_rate", "").strip()
    values["discount_rate"] = parse_rate(rate) if rate else None
    return values


@bp.route("/products/new", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def product_new() -> Any:
    error = None
    if request.method == "POST":
        session = db_session()
        try:
            values = _product_form()
            product = create_product(
                session,
                barcode=request.form.get("barcode", "").strip() or None,
                weighed=request.form.get("weighed") == "1",
                at=now(),
                actor=current_actor(),
                settings=settings(),
                **values,
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
def product_edit(product_id: int) -> Any:
    session = db_session()
    product = _product_or_404(product_id)
    error = None
    if request.method == "POST":
        try:
            values = _product_form()
            changes = update_product(
                session,
                product,
                at=now(),
                actor=current_actor(),
                settings=settings(),
                reason=request.form.get("reason", "").strip() or "后台修改",
                active=request.form.get("active") == "1",
                **values,
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


@bp.get("/products/<int:product_id>/movements")
@roles_required(Role.SUPERVISOR)
def movements(product_id: int) -> Any:
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


@bp.route("/receive", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def receive() -> Any:
    """A receiving sheet: scan (or type) a barcode and a quantity to add a line; confirm to book
    every line as receipt movements at once, as a purchase or as a donation."""
    session = db_session()
    lines = _lines_from_form() if request.method == "POST" else []
    error = None
    action = request.form.get("action", "add")
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
        donation = request.form.get("donation") == "1"
        party = request.form.get("party", "").strip()
        try:
            if not lines:
                raise ValidationError("入库单没有商品行")
            reference = f"RC{now().astimezone(settings().tz):%Y%m%d%H%M%S}"
            for number, line in enumerate(lines, start=1):
                product = get_product(session, line["barcode"])
                if product is None:
                    raise UnknownProduct(f"第 {number} 行：未找到条码 {line['barcode']}")
                qty = _qty(line["qty"], f"第 {number} 行数量")
                cost = _money(line["cost"], f"第 {number} 行单价") if line["cost"] else None
                record_movement(
                    session,
                    product,
                    qty,
                    "receipt",
                    at=now(),
                    actor=current_actor(),
                    reference=reference,
                    unit_cost=None if donation else cost,
                    supplier=None if donation else party,
                    donor=party if donation else None,
                    estimated_value=Money(cost.fen * int(qty)) if donation and cost else None,
                    reason="捐赠入库" if donation else "采购入库",
                )
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
        donation=request.form.get("donation") == "1",
        party=request.form.get("party", ""),
    )


# --- stocktake and write-offs ----------------------------------------------------------------


@bp.route("/stocktake", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def stocktake() -> Any:
    """A stocktake sheet for one category (or a search): the counted quantity is entered; every
    difference is recorded as a count movement with the reason. Blank lines are not counted."""
    session = db_session()
    category = request.values.get("category", "")
    q = request.values.get("q", "")
    found = search_products(session, q, category=category or None, limit=500)
    error = None
    if request.method == "POST":
        reason = request.form.get("reason", "").strip()
        reference = f"PD{now().astimezone(settings().tz):%Y%m%d%H%M%S}"
        changed = counted = 0
        try:
            for product in found:
                text = request.form.get(f"counted_{product.id}", "").strip()
                if not text:
                    continue
                counted += 1
                line_reason = request.form.get(f"reason_{product.id}", "").strip() or reason
                movement = count_stock(
                    session,
                    product,
                    _qty(text, f"{product.name} 的盘点数"),
                    reason=line_reason or "盘点",
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
def writeoff() -> Any:
    session = db_session()
    error = None
    if request.method == "POST":
        code = request.form.get("barcode", "").strip()
        reason = request.form.get("reason", "").strip()
        note = request.form.get("note", "").strip()
        try:
            product = get_product(session, code)
            if product is None:
                raise UnknownProduct(f"未找到条码为 {code or '（空）'} 的商品")
            if reason not in WRITEOFF_REASONS:
                raise ValidationError("请选择报损原因")
            record_movement(
                session,
                product,
                -_qty(request.form.get("qty", ""), "报损数量"),
                "writeoff",
                at=now(),
                actor=current_actor(),
                reason=f"{reason}：{note}" if note else reason,
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
def reports() -> Any:
    session = db_session()
    return _render(
        "inventory/reports.html", low=low_stock(session), negative=negative_stock(session)
    )


# --- shelf labels ----------------------------------------------------------------------------


@bp.get("/labels")
@roles_required(Role.SUPERVISOR)
def labels() -> Any:
    """An A4 sheet of shelf labels: `?id=1&id=2` for chosen products, `?received=today` (or a
    date, YYYY-MM-DD) for everything received that day."""
    session = db_session()
    received = request.args.get("received", "")
    title = "货架标签"
    if received:
        today = now().astimezone(settings().tz).date()
        if received == "today":
            day = today
        else:
            try:
                day = date.fromisoformat(received)
            except ValueError:
                raise ValidationError(f"日期 {received} 无效，应为 YYYY-MM-DD") from None
        start, end = local_day(day, settings())
        chosen = list(received_between(session, start, end))
        title = f"{day:%Y-%m-%d} 入库商品标签"
    else:
        ids = [int(i) for i in request.args.getlist("id") if i.isdigit()]
        chosen = list(products_by_ids(session, ids))
    return _render("inventory/labels.html", products=chosen, title=title)
