"""Tables of the counter: shifts, sales with their lines, refunds, held sales.

A sale keeps the prices it was made at (unit list and unit charity price per line), so a later
price change never rewrites history. Amounts are integer fen, quantities integer thousandths.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime
from core.money import Money

if TYPE_CHECKING:
    from cards.models import Card

MILLI = Decimal(1000)  # quantities are kept in integer thousandths (grams of weighed goods)


class HeldLinePayload(TypedDict):
    barcode: str
    qty: str | int | None  # as the terminal sent it


class HeldPayload(TypedDict):
    card_no: str | None
    lines: list[HeldLinePayload]


class Shift(Base):
    """One cashier's session at one terminal, from the opening float to the counted close."""

    __tablename__ = "shift"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        # One open shift per cashier.
        Index(
            "uq_shift_one_open_per_cashier",
            "cashier_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal: Mapped[str] = mapped_column(String(16))
    cashier_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    cashier_name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    opening_float_fen: Mapped[int] = mapped_column(default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    counted_cash_fen: Mapped[int | None] = mapped_column(default=None)
    expected_cash_fen: Mapped[int | None] = mapped_column(default=None)
    variance_fen: Mapped[int | None] = mapped_column(default=None)
    variance_reason: Mapped[str] = mapped_column(Text, default="")
    # Blind count by denomination: {"100.00": 3, "0.50": 2}
    cash_count: Mapped[dict[str, int] | None] = mapped_column(JSON, default=None)
    z_number: Mapped[int | None] = mapped_column(unique=True, default=None)
    # The frozen Z report: amounts as text, counts as integers (pos.services.shifts)
    z_report: Mapped[dict[str, str | int] | None] = mapped_column(JSON, default=None)
    # The ledger's seal at the close (`SEQ:HASH`, cards.services.seals), printed on the Z report
    z_seal: Mapped[str | None] = mapped_column(String(96), default=None)

    @property
    def opening_float(self) -> Money:
        return Money(self.opening_float_fen)


class Sale(Base):
    """One checkout: lines, tenders, the card debit and the receipt."""

    __tablename__ = "sale"
    __table_args__ = (
        CheckConstraint("total_fen >= 0", name="total_not_negative"),
        CheckConstraint("paid_card_fen >= 0 AND paid_cash_fen >= 0", name="tenders_not_negative"),
        CheckConstraint("paid_card_fen <= total_fen", name="card_at_most_total"),
        CheckConstraint("paid_qr_fen >= 0", name="qr_not_negative"),
        CheckConstraint(
            "paid_card_fen + paid_qr_fen + paid_cash_fen - change_fen = total_fen",
            name="balanced_with_qr",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_no: Mapped[str] = mapped_column(String(32), unique=True)
    client_ref: Mapped[str] = mapped_column(String(64), unique=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    terminal: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("card.id"), index=True, default=None)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), default=None)
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiary.id"), index=True, default=None
    )
    holder_masked: Mapped[str | None] = mapped_column(String(32), default=None)
    proxy_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiary_proxy.id"), default=None)
    proxy_name: Mapped[str | None] = mapped_column(String(64), default=None)
    list_total_fen: Mapped[int] = mapped_column()
    discount_total_fen: Mapped[int] = mapped_column()
    total_fen: Mapped[int] = mapped_column()
    paid_card_fen: Mapped[int] = mapped_column(default=0)
    paid_cash_fen: Mapped[int] = mapped_column(default=0)
    change_fen: Mapped[int] = mapped_column(default=0)
    # a recorded `qr` tender: paid to the store's own WeChat/Alipay collection code (never
    # change), with the last digits of that transaction as its reference
    paid_qr_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    qr_reference: Mapped[str] = mapped_column(String(32), default="", server_default="")
    card_balance_after_fen: Mapped[int | None] = mapped_column(default=None)
    clothing_items: Mapped[int] = mapped_column(default=0)
    ledger_txn_id: Mapped[int | None] = mapped_column(default=None)
    # SHA-256 of the canonical request (card, lines, tenders, proxy): a replay of the same
    # client_ref must carry the same request (None on sales made before it was kept).
    request_hash: Mapped[str | None] = mapped_column(String(64), default=None)

    shift: Mapped[Shift] = relationship(viewonly=True)
    card: Mapped[Card | None] = relationship(viewonly=True)
    lines: Mapped[list[SaleLine]] = relationship(
        back_populates="sale", order_by="SaleLine.line_no", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[Refund]] = relationship(back_populates="sale", order_by="Refund.id")


class SaleCounter(Base):
    """The last sale number given at one terminal on one business day. The sale takes the next
    one in its own transaction (the row stays locked until it commits), so a rolled-back sale
    gives its number back and a day's numbers run 1..N with no gap."""

    __tablename__ = "sale_counter"
    __table_args__ = (CheckConstraint("last_no > 0", name="positive"),)

    terminal: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_no: Mapped[int] = mapped_column()


class SaleLine(Base):
    __tablename__ = "sale_line"
    __table_args__ = (
        CheckConstraint("qty_milli > 0", name="qty_positive"),
        CheckConstraint("refunded_milli >= 0 AND refunded_milli <= qty_milli", name="refunded"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    line_no: Mapped[int] = mapped_column()
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    barcode: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(100))
    spec: Mapped[str] = mapped_column(String(60), default="")
    unit: Mapped[str] = mapped_column(String(10), default="")
    qty_milli: Mapped[int] = mapped_column()
    weighed: Mapped[bool] = mapped_column(default=False)
    clothing: Mapped[bool] = mapped_column(default=False)
    unit_list_fen: Mapped[int] = mapped_column()
    unit_price_fen: Mapped[int] = mapped_column()
    list_total_fen: Mapped[int] = mapped_column()
    total_fen: Mapped[int] = mapped_column()
    discount_fen: Mapped[int] = mapped_column()
    refunded_milli: Mapped[int] = mapped_column(default=0)
    refunded_fen: Mapped[int] = mapped_column(default=0)

    sale: Mapped[Sale] = relationship(back_populates="lines")


class Refund(Base):
    """Money and goods back for some or all lines of a sale; a void is a whole refund in-shift."""

    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint("kind IN ('refund', 'void')", name="kind"),
        CheckConstraint("card_fen >= 0 AND cash_fen >= 0", name="amounts_not_negative"),
        CheckConstraint("qr_fen >= 0", name="qr_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_no: Mapped[str] = mapped_column(String(32), unique=True)
    sale_id: Mapped[int] = mapped_column(ForeignKey("sale.id"), index=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="refund")
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    card_fen: Mapped[int] = mapped_column(default=0)
    cash_fen: Mapped[int] = mapped_column(default=0)
    qr_fen: Mapped[int] = mapped_column(default=0, server_default="0")  # back by the QR tender
    clothing_items: Mapped[int] = mapped_column(default=0)
    ledger_txn_id: Mapped[int | None] = mapped_column(default=None)

    sale: Mapped[Sale] = relationship(back_populates="refunds")
    lines: Mapped[list[RefundLine]] = relationship(
        back_populates="refund", cascade="all, delete-orphan"
    )

    @property
    def total(self) -> Money:
        return Money(self.card_fen + self.cash_fen + self.qr_fen)


class RefundLine(Base):
    __tablename__ = "refund_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refund.id"), index=True)
    sale_line_id: Mapped[int] = mapped_column(ForeignKey("sale_line.id"))
    qty_milli: Mapped[int] = mapped_column()
    amount_fen: Mapped[int] = mapped_column()

    refund: Mapped[Refund] = relationship(back_populates="lines")
    sale_line: Mapped[SaleLine] = relationship()


class HeldSale(Base):
    """A sale put aside (挂单) at a terminal to serve the next customer; gone by shift close."""

    __tablename__ = "held_sale"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shift.id"), index=True)
    terminal: Mapped[str] = mapped_column(String(16))
    held_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[HeldPayload] = mapped_column(JSON)


class CustomerDisplay(Base):
    """What one terminal's customer display (客显, `/display`) shows: the cart as the terminal
    last showed it (lines with 标价 and 慈善价, totals, the masked holder and the balance),
    replaced at every change; kept in the database so that any app process answers the display's
    polling."""

    __tablename__ = "customer_display"

    terminal: Mapped[str] = mapped_column(String(16), primary_key=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
