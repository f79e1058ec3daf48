"""Tables of the inventory package: products, their dated price history, and the append-only stock
movements whose sum is each product's (cached) stock level."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Connection, ForeignKey, Index, String, event, false
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from core.db import Base, UTCDateTime
from core.money import Money
from inventory.services.pricing import charity_unit_price, milli_to_qty, rate_from_bp

SOURCES = ("purchased", "donated")
SOURCE_LABELS = {"purchased": "采购", "donated": "捐赠"}

MOVEMENT_KINDS = ("receipt", "sale", "refund", "count", "writeoff")
MOVEMENT_LABELS = {
    "receipt": "入库",
    "sale": "销售",
    "refund": "退货",
    "count": "盘点调整",
    "writeoff": "报损",
}


class _Priced:
    """A list price and a discount rate (a product now, or a dated price row), as money."""

    list_price_fen: int
    discount_bp: int

    @property
    def list_price(self) -> Money:
        return Money(self.list_price_fen)

    @property
    def discount_rate(self) -> Decimal:
        return rate_from_bp(self.discount_bp)

    @property
    def charity_price(self) -> Money:
        return charity_unit_price(self.list_price, self.discount_rate)


class Product(_Priced, Base):
    """One thing on the shelf. Weighed goods are priced per kg (`list_price_fen` is per kg)."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("list_price_fen >= 0", name="list_price_not_negative"),
        CheckConstraint("discount_bp >= 0 AND discount_bp < 10000", name="discount_bp_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    barcode: Mapped[str] = mapped_column(String(18), unique=True)
    # The scale's item code (PLU) of a weighed product, as printed inside scale barcodes.
    plu: Mapped[str | None] = mapped_column(String(8), unique=True, default=None)
    name: Mapped[str] = mapped_column(String(100), index=True)
    spec: Mapped[str] = mapped_column(String(60), default="")
    unit: Mapped[str] = mapped_column(String(10), default="个")
    category: Mapped[str] = mapped_column(String(30), default="", index=True)
    list_price_fen: Mapped[int] = mapped_column()
    discount_bp: Mapped[int] = mapped_column()  # charity discount rate in basis points (500 = 5%)
    source: Mapped[str] = mapped_column(String(10), default="purchased")
    active: Mapped[bool] = mapped_column(default=True)
    reorder_level_milli: Mapped[int] = mapped_column(default=0)
    clothing: Mapped[bool] = mapped_column(default=False, index=True)
    weighed: Mapped[bool] = mapped_column(default=False)
    stock_milli: Mapped[int] = mapped_column(default=0)  # cache of sum(stock_movement.qty_milli)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The counter: a place on the terminal's quick-key grid (goods without a barcode to scan),
    # and an open price typed at the counter (donated odds and ends): at most
    # `open_price_max_fen`, and above `open_price_supervisor_fen` only with a supervisor.
    quick_key: Mapped[int | None] = mapped_column(default=None)
    open_price: Mapped[bool] = mapped_column(default=False, server_default=false())
    open_price_max_fen: Mapped[int | None] = mapped_column(default=None)
    open_price_supervisor_fen: Mapped[int | None] = mapped_column(default=None)

    @property
    def stock(self) -> Decimal:
        return milli_to_qty(self.stock_milli)

    @property
    def reorder_level(self) -> Decimal:
        return milli_to_qty(self.reorder_level_milli)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    def __repr__(self) -> str:
        return f"<Product {self.barcode} {self.name}>"


class ProductPrice(_Priced, Base):
    """A dated price: the list price and rate in force from `effective_at` until the next row."""

    __tablename__ = "product_price"
    __table_args__ = (Index("ix_product_price_product_at", "product_id", "effective_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    list_price_fen: Mapped[int] = mapped_column()
    discount_bp: Mapped[int] = mapped_column()
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64))


class StockMovement(Base):
    """One signed change of a product's stock, never updated or deleted."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        Index("ix_stock_movement_product_at", "product_id", "at"),
        CheckConstraint(
            "kind IN ('receipt', 'sale', 'refund', 'count', 'writeoff')", name="kind_known"
        ),
        CheckConstraint("qty_milli <> 0", name="qty_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"))
    kind: Mapped[str] = mapped_column(String(10))
    qty_milli: Mapped[int] = mapped_column()  # signed: + into stock, - out of it
    unit_cost_fen: Mapped[int | None] = mapped_column(default=None)  # purchase receipts
    supplier: Mapped[str | None] = mapped_column(String(100), default=None)
    donor: Mapped[str | None] = mapped_column(String(100), default=None)
    estimated_value_fen: Mapped[int | None] = mapped_column(default=None)  # donations, whole line
    reason: Mapped[str | None] = mapped_column(String(200), default=None)
    reference: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(64))

    @property
    def qty(self) -> Decimal:
        return milli_to_qty(self.qty_milli)

    @property
    def kind_label(self) -> str:
        return MOVEMENT_LABELS.get(self.kind, self.kind)

    @property
    def unit_cost(self) -> Money | None:
        return None if self.unit_cost_fen is None else Money(self.unit_cost_fen)

    @property
    def estimated_value(self) -> Money | None:
        return None if self.estimated_value_fen is None else Money(self.estimated_value_fen)


@event.listens_for(StockMovement, "before_update")
@event.listens_for(StockMovement, "before_delete")
def _movements_are_append_only(
    _mapper: Mapper[StockMovement], _connection: Connection, target: StockMovement
) -> None:
    # Rule 2: stock is the sum of its movements; a correction is a new movement, never an edit.
    raise RuntimeError(f"库存流水 #{target.id} 只能追加，不能修改或删除")
