"""The demo catalog loads through the import service and adds up."""

from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from inventory import demo
from inventory.services.lookup import lookup
from inventory.services.reports import low_stock, negative_stock
from inventory.services.stock import verify_stock


def test_demo_loads_catalog_and_weighed_goods(
    session: Session, settings: Settings, clock: Any
) -> None:
    lines = demo.load(session, settings, at=clock())
    assert "导入 300 个商品" in lines[0]
    sample = lines[1].rsplit("：", 1)[1]
    scan = lookup(session, sample, settings=settings)
    assert scan.product.weighed and scan.amount is not None and scan.qty == 1
    assert verify_stock(session).ok
    assert negative_stock(session) and low_stock(session)
