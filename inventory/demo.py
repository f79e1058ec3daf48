"""Demo data of the inventory package, made through its own services: the bundled catalog
(inventory/demo_data/products.csv, the sample of ../shared/data) imported like any catalog file,
plus a few weighed goods with scale item codes and a few movements for the reports."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from importlib import resources

from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import Settings
from core.money import Money
from inventory.services.catalog import import_catalog
from inventory.services.pricing import format_qty
from inventory.services.products import create_product, get_product
from inventory.services.receiving import receive_stock
from inventory.services.scale import make_scale_code
from inventory.services.stock import record_movement

WEIGHED = (
    # name, spec, category, price per kg, rate, opening stock (kg)
    ("散装大米", "东北粳米", "粮油", "5.98", "0.08", "50"),
    ("散装小米", "黄小米", "粮油", "9.60", "0.05", "20"),
    ("鸡蛋", "散装", "副食", "11.60", "0.05", "30"),
    ("白砂糖", "散装", "调味品", "8.00", "0.10", "15.5"),
)


def load(session: Session, settings: Settings, *, at: datetime) -> list[str]:
    """Fill an empty store with sample data; returns lines to print (what was loaded)."""
    actor = Actor.system("demo")
    data = resources.files("inventory").joinpath("demo_data/products.csv").read_bytes()
    plan = import_catalog(
        session, data, "products.csv", commit=True, at=at, actor=actor, settings=settings
    )
    weighed = []
    for name, spec, category, price, rate, stock in WEIGHED:
        product = create_product(
            session,
            barcode=None,
            name=name,
            spec=spec,
            unit="kg",
            category=category,
            list_price=Money.parse(price),
            discount_rate=Decimal(rate),
            weighed=True,
            at=at,
            actor=actor,
            settings=settings,
        )
        receive_stock(
            session, product, Decimal(stock), at=at, actor=actor,
            supplier="郑州农副产品批发市场", unit_cost=Money.parse(price).multiply(Decimal("0.8")),
            reason="演示数据",
        )  # fmt: skip
        weighed.append(product)
    # One product sold out and one sold below zero, so the reports have something to show.
    low = get_product(session, "6915833545335")
    if low is not None and low.stock_milli > 0:
        record_movement(
            session, low, -low.stock - 2, "sale", at=at, actor=actor, reference="演示销售"
        )
    rice = weighed[0]
    sample = make_scale_code(
        settings.inventory, rice.plu or "", amount=Money.parse("5.98"), prefix=None
    )
    return [
        f"商品：导入 {len(plan.new)} 个商品（含期初库存），另有 {len(weighed)} 个称重商品"
        f"（如 {rice.name} {rice.list_price.format()}/kg，库存 {format_qty(rice.stock_milli)} kg）",
        f"  商品条码示例：6987013843296（{plan.new[0].name}）；电子秤条码示例：{sample}",
    ]
