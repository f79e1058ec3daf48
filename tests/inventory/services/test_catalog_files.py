"""The catalog in every format the reader takes: the shipped products.csv opened by LibreOffice
and saved as .xls and .ods plans the same products (barcodes it turned into numbers included);
a product name that would run as a formula is refused by its row; invisible characters go."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from core.config import Settings
from inventory.services.catalog import plan_import

DATA = Path(__file__).resolve().parents[2] / "data"
CSV = Path(__file__).resolve().parents[3] / "inventory" / "demo_data" / "products.csv"
HEADER = "条码,品名,规格,单位,分类,标价,慈善折扣率,来源,库存,预警库存\r\n"


@pytest.mark.parametrize("name", ["products_lo.xls", "products_lo.ods"])
def test_a_saved_catalog_plans_the_same_products(
    session: Session, settings: Settings, name: str
) -> None:
    base = plan_import(session, CSV.read_bytes(), "products.csv", settings)
    plan = plan_import(session, (DATA / name).read_bytes(), name, settings)
    assert plan.errors == base.errors == []
    assert plan.rows == base.rows == 300
    assert plan.new == base.new


def test_formula_names_are_refused_by_row(session: Session, settings: Settings) -> None:
    text = HEADER + '6901234567892,=HYPERLINK("x"),,袋,,10.00,,,,\r\n'
    plan = plan_import(session, text.encode(), "c.csv", settings)
    assert plan.errors == ['第 2 行：品名“=HYPERLINK("x")”以“=”开头，像是表格公式而不是品名']


def test_invisible_characters_leave_product_names(session: Session, settings: Settings) -> None:
    text = HEADER + "6901234567892,\u202e东北\u200b大米,5kg,袋,粮油,10.00,,,,\r\n"
    plan = plan_import(session, text.encode(), "c.csv", settings)
    assert [row.name for row in plan.new] == ["东北大米"]
