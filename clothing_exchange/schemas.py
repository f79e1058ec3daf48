"""What the clothing pages and the clothing API read and answer, declared once: the stock answer
(the API's JSON and the stock page's table), and the intake and give-away forms, each read through
one pydantic model whose validators carry the Chinese messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator

from clothing_exchange.services.events import CardHandout
from clothing_exchange.services.intake_file import INTAKE_COLUMNS, MAX_COUNT, parse_date
from clothing_exchange.services.stock import StockLine
from core.fields import FieldError, parse_quantity
from core.forms import FormModel, read_form
from core.web import ApiModel

# --- answers ----------------------------------------------------------------------------------


class StockItem(ApiModel):
    kind: str
    size: str
    season: str
    barcode: str
    stock: int


class StockAnswer(ApiModel):
    items: list[StockItem] = Field(default_factory=list)
    total: int

    @classmethod
    def of(cls, lines: Sequence[StockLine]) -> StockAnswer:
        """Clothing stock by kind, size and season, and the number of items in all."""
        return cls(
            items=[
                StockItem(
                    kind=s.kind, size=s.size, season=s.season, barcode=s.barcode, stock=s.stock
                )
                for s in lines
            ],
            total=sum(s.stock for s in lines),
        )


# --- page forms -------------------------------------------------------------------------------


def _kinds(info: ValidationInfo) -> tuple[str, ...]:
    context = info.context if isinstance(info.context, dict) else {}
    return tuple(context.get("kinds", ()))


def parse_count(text: str, *, what: str) -> int:
    """A whole number of items, zero or more, typed as text: ASCII digits through the kernel's
    quantity parser, then whole."""
    refused = FieldError(f"{what} {text!r} 应为非负整数")
    try:
        qty = parse_quantity(text, what=what, allow_zero=True, max_qty=Decimal(MAX_COUNT))
    except FieldError:
        raise refused from None
    if qty != qty.to_integral_value():
        raise refused
    return int(qty)


class IntakeForm(FormModel):
    """The intake page: one batch typed in (the cells of one intake-file row), or a file
    uploaded beside it; `action` is the button pressed (preview, or commit)."""

    batch_code: str = ""
    intake_date: str = ""
    collection_point: str = ""
    weight_kg: str = ""
    sorting: str = ""
    recycled_kg: str = ""
    action: str = "preview"

    @property
    def commit(self) -> bool:
        return self.action == "commit"

    def table(self) -> list[list[str]]:
        """The typed batch as a one-row intake table, header first, for the file's own reader
        (a typed batch is checked exactly as a row of a file is)."""
        cells = {
            "batch_code": self.batch_code,
            "intake_date": self.intake_date,
            "collection_point": self.collection_point,
            "weight_kg": self.weight_kg,
            "sorting": self.sorting,
            "recycled_kg": self.recycled_kg,
        }
        return [[INTAKE_COLUMNS.label(key) for key in cells], list(cells.values())]


class EventForm(FormModel):
    """The give-away form of the events page: the day and place, items by kind (`count_<kind>`
    fields), and the items named people took, one `卡号 种类` per line of `handouts`."""

    event_date: date
    place: str = ""
    totals: dict[str, int] = Field(default_factory=dict)
    handouts: list[CardHandout] = Field(default_factory=list)
    note: str = ""

    @classmethod
    def from_page(cls, form: Mapping[str, str], *, kinds: Sequence[str]) -> EventForm:
        """The posted form (its `count_<kind>` fields gathered into `totals`), validated."""
        data: dict[str, object] = {key: value for key, value in form.items() if key != "totals"}
        data["event_date"] = form.get("event_date", "")  # a missing day is an invalid one
        data["totals"] = {
            kind: form[f"count_{kind}"] for kind in kinds if form.get(f"count_{kind}", "").strip()
        }
        return read_form(cls, data, context={"kinds": tuple(kinds)})

    @field_validator("event_date", mode="before")
    @classmethod
    def _day(cls, value: object) -> object:
        if isinstance(value, date):
            return value
        text = str(value)
        day = parse_date(text)
        if day is None:
            raise ValueError(f"发放日期 {text!r} 无效（应为 YYYY-MM-DD）")
        return day

    @field_validator("totals", mode="before")
    @classmethod
    def _counts(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        return {
            kind: parse_count(str(text).strip(), what=f"{kind} 的件数")
            for kind, text in value.items()
        }

    @field_validator("handouts", mode="before")
    @classmethod
    def _handout_lines(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        kinds = _kinds(info)
        out: list[CardHandout] = []
        for number, raw in enumerate(value.splitlines(), start=1):
            parts = raw.split()
            if not parts:
                continue
            if len(parts) != 2:
                raise ValueError(f"领取名单第 {number} 行“{raw.strip()}”应为：卡号 种类")
            card_no, kind = parts
            if kind not in kinds:
                raise ValueError(
                    f"领取名单第 {number} 行：未知衣物种类 {kind}（可选：{'、'.join(kinds)}）"
                )
            out.append(CardHandout(number, card_no, kind))
        return out
