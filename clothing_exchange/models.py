"""Tables of the clothing_exchange package: 衣暖人心 intake batches and their sorted lines, the
clothing product stocked for each kind/size/season, give-away events, and clothing claims (one row
per item a beneficiary took, counted against the quarter's allowance).

The allowance is enforced by the database: a counted claim holds a slot 1..items_per_quarter and
(beneficiary_id, quarter, slot) is unique, so two terminals cannot both take the last slot. A
released (refunded) or uncounted claim has no slot (NULL never collides).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cards.models import Beneficiary
from core.db import Base, UTCDateTime
from inventory.models import Product


class ClothingIntakeBatch(Base):
    """One batch collected by 衣暖人心 from a residential compound (楼院) and sorted."""

    __tablename__ = "clothing_intake_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_code: Mapped[str] = mapped_column(String(40), unique=True)
    intake_date: Mapped[date] = mapped_column(Date(), index=True)
    collection_point: Mapped[str] = mapped_column(String(120), index=True)
    # kilograms as integer thousandths (grams)
    weight_milli: Mapped[int]
    recycled_milli: Mapped[int | None] = mapped_column(default=None)
    items: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64))

    lines: Mapped[list[ClothingIntakeLine]] = relationship(
        back_populates="batch", order_by="ClothingIntakeLine.id"
    )


class ClothingIntakeLine(Base):
    """Sorted items of one kind, size and season in a batch, and the product they were stocked as."""

    __tablename__ = "clothing_intake_line"
    __table_args__ = (UniqueConstraint("batch_id", "kind", "size", "season"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("clothing_intake_batch.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[str] = mapped_column(String(16))
    season: Mapped[str] = mapped_column(String(8))
    count: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), default=None)

    batch: Mapped[ClothingIntakeBatch] = relationship(back_populates="lines")


class ClothingProduct(Base):
    """The inventory product that stocks one kind/size/season (made on first intake)."""

    __tablename__ = "clothing_product"
    __table_args__ = (UniqueConstraint("kind", "size", "season"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[str] = mapped_column(String(16))
    season: Mapped[str] = mapped_column(String(8))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    product: Mapped[Product] = relationship()


class ClothingEvent(Base):
    """A mass give-away (集中衣物发放): when, where, and what was given."""

    __tablename__ = "clothing_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_date: Mapped[date] = mapped_column(Date(), index=True)
    place: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64))

    totals: Mapped[list[ClothingEventTotal]] = relationship(
        back_populates="event", order_by="ClothingEventTotal.id"
    )


class ClothingEventTotal(Base):
    """Items given at an event by kind, to people not recorded one by one."""

    __tablename__ = "clothing_event_total"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("clothing_event.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    count: Mapped[int]

    event: Mapped[ClothingEvent] = relationship(back_populates="totals")


class ClothingClaim(Base):
    """One item of clothing a beneficiary took: at the counter (sale_no) or at an event."""

    __tablename__ = "clothing_claim"
    __table_args__ = (
        UniqueConstraint("beneficiary_id", "quarter", "slot"),
        CheckConstraint("slot IS NULL OR slot >= 1", name="slot_positive"),
        Index("ix_clothing_claim_sale", "sale_no", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiary.id"), index=True)
    quarter: Mapped[str] = mapped_column(String(7))
    # 1..items_per_quarter while the claim counts; NULL once released or when it does not count
    slot: Mapped[int | None] = mapped_column(default=None)
    counted: Mapped[bool] = mapped_column(default=True)
    kind: Mapped[str] = mapped_column(String(16))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), default=None)
    sale_no: Mapped[str | None] = mapped_column(String(40), default=None)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("clothing_event.id"), default=None, index=True
    )
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    released_by_name: Mapped[str | None] = mapped_column(String(64), default=None)

    event: Mapped[ClothingEvent | None] = relationship()
    beneficiary: Mapped[Beneficiary] = relationship()

    @property
    def active(self) -> bool:
        """Counts against the quarter now (taken, counted, not given back)."""
        return self.slot is not None
