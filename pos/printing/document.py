"""What to print, independent of the database: a sale or refund receipt, a shift report, a slip.

The checkout builds one of these from its rows and hands it to `pos.printing.services.jobs.enqueue`; the
layout engine and the printer never see a table. Documents round-trip through JSON (`to_payload`,
`from_payload`) so that a print job can be printed again, exactly, long after the sale.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from core.money import Money


@dataclass(frozen=True)
class ReceiptLine:
    """One line of goods: `qty` units of `unit` at the charity `unit_price` (list `unit_list`)."""

    name: str
    qty: Decimal
    unit: str
    unit_price: Money
    unit_list: Money
    total: Money
    clothing: bool = False
    weighed: bool = False

    @property
    def discounted(self) -> bool:
        return self.unit_price != self.unit_list

    @property
    def items(self) -> int:
        """What the line adds to the item count (件数): its quantity for goods counted in whole
        units, one for weighed goods (0.512 kg of rice is one item) or a fractional quantity."""
        if self.weighed or self.qty != self.qty.to_integral_value():
            return 1
        return int(self.qty)


@dataclass(frozen=True)
class Receipt:
    """A sale receipt (`kind="sale"`) or a refund slip (`kind="refund"`, amounts paid back).

    `number` is the sale or refund number; `at` an aware instant (shown in the store's zone);
    `reprint` counts copies (0 for the original; 1, 2, ... print 重打（副本）第 n 次, with the
    time of the copy `reprinted_at` and, when `later_refunds` refunds were made of the sale after
    it, a note that the balance shown is the one at the sale).

    A refund slip's `list_total` is the list total of the returned lines, `total` the charity
    total returned, `paid_card` and `paid_cash` the money returned by tender and
    `card_balance_after` the card's balance after the refund.
    """

    kind: Literal["sale", "refund"]
    store_name: str
    store_address: str
    terminal: str
    cashier: str
    number: str
    at: datetime
    lines: tuple[ReceiptLine, ...]
    list_total: Money
    discount_total: Money
    total: Money
    paid_card: Money
    paid_cash: Money
    change: Money
    card_balance_after: Money | None = None
    holder_masked: str | None = None
    card_tail: str | None = None
    clothing_used: int | None = None
    clothing_left: int | None = None
    qr_url: str | None = None
    reprint: int = 0
    reason: str | None = None
    footer: str = ""
    original_number: str | None = None  # a refund: the sale it returns
    store_phone: str = ""
    store_hours: str = ""
    proxy_masked: str | None = None  # the proxy collector (代领人) who shopped for the holder
    reprinted_at: datetime | None = None
    later_refunds: int = 0
    paid_qr: Money = field(
        default_factory=Money.zero
    )  # the recorded QR tender (paid, or on a slip returned)
    qr_reference: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("sale", "refund"):
            raise ValueError(f"receipt kind must be sale or refund, not {self.kind!r}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("Receipt.at must be an aware datetime")
        if self.reprinted_at is not None and self.reprinted_at.utcoffset() is None:
            raise ValueError("Receipt.reprinted_at must be an aware datetime")
        object.__setattr__(self, "lines", tuple(self.lines))

    @property
    def items(self) -> int:
        """The item count printed as `N 件` (see `ReceiptLine.items`)."""
        return sum(line.items for line in self.lines)

    @property
    def card_sale(self) -> bool:
        """A sale (or refund) of a card holder: every line shows its 标价 and 慈善价."""
        return self.card_tail is not None

    @property
    def opens_drawer(self) -> bool:
        """Cash changed hands (and this is not a copy): kick the drawer."""
        return self.reprint == 0 and (bool(self.paid_cash) or bool(self.change))


@dataclass(frozen=True)
class ZReport:
    """An X (mid-shift) or Z (closing) shift report."""

    store_name: str
    terminal: str
    cashier: str
    shift_number: str
    opened_at: datetime
    closed_at: datetime | None
    sales_count: int
    list_total: Money
    discount_total: Money
    card_total: Money
    cash_total: Money
    refunds_total: Money
    refunds_count: int
    voids_count: int
    clothing_items: int
    opening_float: Money
    expected_cash: Money
    counted_cash: Money | None = None
    variance: Money | None = None
    reason: str | None = None
    seal: str | None = None  # the ledger's seal at the close (Z only)
    uncounted: bool = False  # closed by a supervisor without a cash count (未清点)
    report: Literal["X", "Z"] = "Z"
    at: datetime | None = None  # when printed; defaults to closed_at or opened_at
    reprint: int = 0
    footer: str = ""
    qr_total: Money = field(
        default_factory=Money.zero
    )  # the recorded QR tender, kept apart from cash

    def __post_init__(self) -> None:
        if self.report not in ("X", "Z"):
            raise ValueError(f"report must be X or Z, not {self.report!r}")


@dataclass(frozen=True)
class Slip:
    """Anything else worth a piece of paper: a title and (label, value) rows."""

    title: str
    rows: tuple[tuple[str, str], ...]
    store_name: str = ""
    terminal: str = ""
    at: datetime | None = None
    reprint: int = 0
    footer: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rows", tuple((str(a), str(b)) for a, b in self.rows))


Document = Receipt | ZReport | Slip


def job_kind(document: Document) -> str:
    """The print job kind for a document: receipt, refund, x_report, z_report or slip."""
    if isinstance(document, Receipt):
        return "receipt" if document.kind == "sale" else "refund"
    if isinstance(document, ZReport):
        return "z_report" if document.report == "Z" else "x_report"
    return "slip"


# --- JSON ------------------------------------------------------------------------------------

_TYPES: dict[str, type] = {"receipt": Receipt, "z_report": ZReport, "slip": Slip}


def _encode(value: Any) -> Any:
    if isinstance(value, Money):
        return {"$money": str(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$at": value.isoformat()}
    if isinstance(value, ReceiptLine):
        return {f.name: _encode(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$money" in value:
            return Money.parse(value["$money"])
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$at" in value:
            return datetime.fromisoformat(value["$at"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def to_payload(document: Document) -> dict[str, Any]:
    """A JSON-safe dict of the document (amounts as text, instants in ISO 8601)."""
    type_name = (
        "receipt"
        if isinstance(document, Receipt)
        else "z_report"
        if isinstance(document, ZReport)
        else "slip"
    )
    body = {f.name: _encode(getattr(document, f.name)) for f in fields(document)}
    return {"type": type_name, "document": body}


def from_payload(payload: dict[str, Any]) -> Document:
    """The document a payload was made from (inverse of `to_payload`)."""
    cls = _TYPES[payload["type"]]
    body = _decode(payload["document"])
    if cls is Receipt:
        body["lines"] = tuple(ReceiptLine(**line) for line in body["lines"])
    if cls is Slip:
        body["rows"] = tuple(tuple(row) for row in body["rows"])
    return cls(**body)  # type: ignore[no-any-return]


def with_reprint(document: Document, count: int, *, at: datetime | None = None) -> Document:
    """The same document marked as the `count`-th copy (a receipt also with the time `at` of
    the copy)."""
    if isinstance(document, Receipt):
        return replace(document, reprint=count, reprinted_at=at)
    return replace(document, reprint=count)


__all__ = [
    "Document",
    "Receipt",
    "ReceiptLine",
    "Slip",
    "ZReport",
    "from_payload",
    "job_kind",
    "to_payload",
    "with_reprint",
]
