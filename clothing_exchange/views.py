"""Back-office pages for clothing (supervisor): stock by kind and size, 衣暖人心 intake (a file or
one batch typed in), give-away events, reports; the clothing JSON API; and the hook that lets the
card pages show a person's quarter allowance."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from pydantic import Field
from sqlalchemy import select

from cards.services.cards import find_card
from clothing_exchange import reports, services
from clothing_exchange.intake import (
    IntakeFile,
    IntakeFileError,
    parse_date,
    parse_intake,
    parse_table,
)
from clothing_exchange.models import ClothingEvent
from core.auth import Role
from core.errors import DomainError, ValidationError
from core.web import (
    ApiBlueprint,
    ApiModel,
    app_state,
    current_actor,
    db_session,
    now,
    roles_required,
    settings,
)

bp = Blueprint("clothing", __name__, url_prefix="/clothing", template_folder="templates")
api = ApiBlueprint("clothing_api", __name__, tag="clothing")

# Back-office menu entries: (label, endpoint, roles).
NAV: list[tuple[str, str, tuple[str, ...]]] = [
    ("爱心衣物", "clothing.stock", (Role.SUPERVISOR.value,)),
]


def init_app(app: Flask) -> None:
    """Remember this app's settings for `status_for`'s 3-argument form (cards is handed its
    clothing allowance by pos/app.py through `cards.hooks`)."""
    services.configure(app_state(app).settings)


# --- pages ------------------------------------------------------------------------------------


@bp.get("/")
@roles_required(Role.SUPERVISOR)
def stock() -> Any:
    """Clothing stock by kind and size."""
    cfg = settings()
    lines = reports.clothing_stock(db_session(), cfg)
    sizes = sorted({line.size for line in lines}, key=_size_order)
    table: dict[str, dict[str, int]] = {}
    for line in lines:
        table.setdefault(line.kind, {}).setdefault(line.size, 0)
        table[line.kind][line.size] += line.stock
    return render_template(
        "clothing_exchange/stock.html",
        lines=lines,
        sizes=sizes,
        table=table,
        total=sum(line.stock for line in lines),
    )


_SIZE_ORDER = ["XS", "S", "M", "L", "XL", "XXL", "XXXL", "均码"]


def _size_order(size: str) -> tuple[int, str]:
    if size in _SIZE_ORDER:
        return (_SIZE_ORDER.index(size), size)
    if size.startswith("童"):
        return (100 + int(size[1:]) if size[1:].isdigit() else 999, size)
    return (999, size)


@bp.route("/intake", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def intake() -> Any:
    """Record intake: upload a file (preview, then record) or type in one batch."""
    cfg = settings()
    session = db_session()
    plan = None
    parsed: IntakeFile | None = None
    form = request.form
    source = ""
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is not None and upload.filename:
                source = upload.filename
                parsed = parse_intake(
                    upload.read(), filename=upload.filename, kinds=cfg.clothing.kinds
                )
            else:
                source = "录入"
                header = ["批次", "日期", "来源楼院", "重量kg", "分拣", "回收重量kg"]
                row = [
                    form.get(key, "").strip()
                    for key in ("batch_code", "intake_date", "collection_point", "weight_kg")
                ]
                row += [form.get("sorting", "").strip(), form.get("recycled_kg", "").strip()]
                parsed = parse_table([header, row], kinds=cfg.clothing.kinds)
        except IntakeFileError as exc:
            flash(str(exc), "error")
            return render_template("clothing_exchange/intake.html", plan=None, form=form), 400
        plan = services.plan_intake(session, parsed)
        if plan.problems or form.get("action") != "commit":
            status = 400 if plan.problems else 200
            return render_template("clothing_exchange/intake.html", plan=plan, form=form), status
        try:
            services.record_intake(
                session, parsed, at=now(), actor=current_actor(), settings=cfg, source=source
            )
        except DomainError as exc:
            session.rollback()
            flash(exc.message, "error")
            return render_template("clothing_exchange/intake.html", plan=plan, form=form), 400
        session.commit()
        if plan.new:
            flash(f"已入库 {len(plan.new)} 个批次，{plan.items} 件衣物进入库存", "success")
        else:
            flash("这些批次都已入库过，没有任何变化", "success")
        return redirect(url_for("clothing.intake"))
    return render_template("clothing_exchange/intake.html", plan=None, form=form)


def _handouts(session: Any, text: str, kinds: tuple[str, ...]) -> list[tuple[int, str]]:
    """Items given to named people, one per line: `卡号 种类` (e.g. `8678141702490869 毛衣`)."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValidationError(f"领取名单第 {number} 行“{raw.strip()}”应为：卡号 种类")
        card_no, kind = parts
        if kind not in kinds:
            raise ValidationError(
                f"领取名单第 {number} 行：未知衣物种类 {kind}（可选：{'、'.join(kinds)}）"
            )
        try:
            card = find_card(session, card_no)
        except DomainError as exc:
            raise ValidationError(f"领取名单第 {number} 行：{exc.message}") from None
        out.append((card.account.beneficiary_id, kind))
    return out


@bp.route("/events", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def events() -> Any:
    """Give-away events: the list, and a form recording one (totals by kind, and optionally
    the items named people took, by card number)."""
    cfg = settings()
    session = db_session()
    status = 200
    if request.method == "POST":
        try:
            day = parse_date(request.form.get("event_date", ""))
            if day is None:
                raise ValidationError(
                    f"发放日期 {request.form.get('event_date', '')!r} 无效（应为 YYYY-MM-DD）"
                )
            totals: dict[str, int] = {}
            for kind in cfg.clothing.kinds:
                text = request.form.get(f"count_{kind}", "").strip()
                if not text:
                    continue
                if not text.isdigit():
                    raise ValidationError(f"{kind} 的件数 {text!r} 应为非负整数")
                totals[kind] = int(text)
            handouts = _handouts(session, request.form.get("handouts", ""), cfg.clothing.kinds)
            services.record_event(
                session,
                event_date=day,
                place=request.form.get("place", ""),
                totals=totals,
                handouts=handouts,
                note=request.form.get("note", ""),
                at=now(),
                actor=current_actor(),
                settings=cfg,
            )
        except DomainError as exc:
            session.rollback()
            flash(exc.message, "error")
            status = 400
        else:
            session.commit()
            flash(f"已记录 {day:%Y-%m-%d} 的集中发放", "success")
            return redirect(url_for("clothing.events"))
    listed = session.scalars(
        select(ClothingEvent).order_by(ClothingEvent.event_date.desc()).limit(200)
    ).all()
    return render_template(
        "clothing_exchange/events.html",
        events=listed,
        kinds=cfg.clothing.kinds,
        events_count=cfg.clothing.events_count,
        form=request.form,
        today=now().astimezone(cfg.tz).date().isoformat(),
    ), status


@bp.get("/reports")
@roles_required(Role.SUPERVISOR)
def report_page() -> Any:
    """Collected per month and point; given per quarter; who has not used this quarter's item."""
    cfg = settings()
    session = db_session()
    at = now()
    return render_template(
        "clothing_exchange/reports.html",
        intake=reports.intake_by_month_and_point(session),
        given=reports.given_by_quarter(session),
        unused=reports.unused_allowance(session, cfg, at=at),
        quarter=services.quarter_of(at, cfg),
    )


# --- JSON API ---------------------------------------------------------------------------------


class StockItem(ApiModel):
    kind: str
    size: str
    season: str
    barcode: str
    stock: int


class StockAnswer(ApiModel):
    items: list[StockItem] = Field(default_factory=list)
    total: int


@api.operation(
    "/clothing/stock",
    summary="爱心衣物库存（按种类、尺码、季节）",
    roles=(Role.SUPERVISOR,),
    response=StockAnswer,
)
def api_stock() -> StockAnswer:
    lines = reports.clothing_stock(db_session(), settings())
    return StockAnswer(
        items=[
            StockItem(kind=s.kind, size=s.size, season=s.season, barcode=s.barcode, stock=s.stock)
            for s in lines
        ],
        total=sum(s.stock for s in lines),
    )
