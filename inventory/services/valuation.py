"""Stock valuation per product (`charity report stock`): the stock on hand valued at cost and at
list price. Stock is kept as one level per product for the whole programme (not per store), so
every store's valuation shows the same levels; the store only names the report.

Cost is the unit cost of the product's latest purchase receipt; a product never bought (donated
only, or only counted in) is valued at zero cost: it cost the store nothing.
Negative stock is valued as it stands (it shows up as a negative value to be counted)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.export import Column, Table
from core.money import Money
from inventory.models import Product, StockMovement
from inventory.services.pricing import format_qty, line_amount, milli_to_qty


@dataclass(frozen=True)
class StockValue:
    """One product's stock and its value."""

    barcode: str
    name: str
    category: str
    unit: str
    stock_milli: int
    unit_cost: Money | None  # None: never received with a cost
    cost_value: Money
    list_value: Money

    @property
    def stock(self) -> str:
        return format_qty(self.stock_milli)

    def csv_row(self) -> dict[str, str]:
        """The contract's csv columns: `barcode,name,stock,cost_value,list_value`."""
        return {
            "barcode": self.barcode,
            "name": self.name,
            "stock": self.stock,
            "cost_value": str(self.cost_value),
            "list_value": str(self.list_value),
        }


CSV_COLUMNS = ("barcode", "name", "stock", "cost_value", "list_value")


@dataclass(frozen=True)
class Valuation:
    """Every active product (and any inactive one still holding stock), and the totals."""

    rows: list[StockValue]

    @property
    def cost_total(self) -> Money:
        return sum((row.cost_value for row in self.rows), Money.zero())

    @property
    def list_total(self) -> Money:
        return sum((row.list_value for row in self.rows), Money.zero())


def _latest_costs(session: Session) -> dict[int, int]:
    """product id -> unit cost (fen) of its latest receipt that carries one."""
    rows = session.execute(
        select(StockMovement.product_id, StockMovement.unit_cost_fen)
        .where(StockMovement.kind == "receipt", StockMovement.unit_cost_fen.is_not(None))
        .order_by(StockMovement.at, StockMovement.id)
    ).all()
    costs: dict[int, int] = {}
    for product_id, cost in rows:
        costs[product_id] = cost  # ordered oldest first: the last one wins
    return costs


def stock_valuation(session: Session) -> Valuation:
    """The valuation now, ordered by category then name then barcode."""
    costs = _latest_costs(session)
    products = session.scalars(
        select(Product)
        .where((Product.active.is_(True)) | (Product.stock_milli != 0))
        .order_by(Product.category, Product.name, Product.barcode)
    ).all()
    rows = []
    for product in products:
        qty = milli_to_qty(product.stock_milli)
        cost_fen = costs.get(product.id)
        unit_cost = None if cost_fen is None else Money(cost_fen)
        rows.append(
            StockValue(
                barcode=product.barcode,
                name=product.name,
                category=product.category,
                unit=product.unit,
                stock_milli=product.stock_milli,
                unit_cost=unit_cost,
                cost_value=Money.zero() if unit_cost is None else line_amount(unit_cost, qty),
                list_value=line_amount(product.list_price, qty),
            )
        )
    return Valuation(rows)


def valuation_table(valuation: Valuation) -> Table:
    """The valuation as the office page and its files show it (Chinese headers)."""
    return Table(
        [
            Column("条码"),
            Column("商品"),
            Column("类别"),
            Column("单位"),
            Column("库存", "quantity"),
            Column("最近采购单价", "amount"),
            Column("成本金额", "amount"),
            Column("标价金额", "amount"),
        ],
        [
            (
                r.barcode,
                r.name,
                r.category,
                r.unit,
                milli_to_qty(r.stock_milli),
                r.unit_cost,
                r.cost_value,
                r.list_value,
            )
            for r in valuation.rows
        ],
        totals=[
            (
                "合计",
                f"{len(valuation.rows)} 种",
                "",
                "",
                None,
                None,
                valuation.cost_total,
                valuation.list_total,
            )
        ],
    )


def by_category(valuation: Valuation) -> list[tuple[str, Money, Money]]:
    """(category, cost value, list value) per category, the largest list value first."""
    sums: dict[str, tuple[Money, Money]] = {}
    for r in valuation.rows:
        cost, listed = sums.get(r.category or "未分类", (Money.zero(), Money.zero()))
        sums[r.category or "未分类"] = (cost + r.cost_value, listed + r.list_value)
    return sorted(
        ((c, cost, listed) for c, (cost, listed) in sums.items()), key=lambda t: -t[2].fen
    )
