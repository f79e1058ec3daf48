"""The stock warnings page's downloads: both lists as one printable sheet with two sections, each
list as a CSV for Excel."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.auth import Role
from core.money import Money
from inventory.services.products import create_product
from inventory.services.stock import record_movement
from tests.pos.conftest import ACTOR


@pytest.fixture
def warnings(session, settings, clock) -> None:
    at = clock()
    low = create_product(
        session,
        barcode="6901234567892",
        name="东北大米",
        unit="袋",
        list_price=Money.parse("10.00"),
        reorder_level=Decimal(5),
        at=at,
        actor=ACTOR,
        settings=settings,
    )
    record_movement(session, low, Decimal(2), "receipt", at=at, actor=ACTOR)
    negative = create_product(
        session,
        barcode="6985430337657",
        name="=鲁花菜籽油",
        unit="瓶",
        list_price=Money.parse("30.30"),
        at=at,
        actor=ACTOR,
        settings=settings,
    )
    record_movement(session, negative, Decimal(-3), "sale", at=at, actor=ACTOR)
    session.commit()


def test_both_lists_as_one_printable_sheet(client, login, warnings) -> None:
    login(Role.SUPERVISOR)
    assert "/inventory/reports/all.xlsx" in client.get("/inventory/reports").get_data(as_text=True)
    answer = client.get("/inventory/reports/all.xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(answer.data)).worksheets[0]
    column_b = [sheet.cell(r, 2).value for r in range(1, sheet.max_row + 1)]
    column_a = [sheet.cell(r, 1).value for r in range(1, sheet.max_row + 1)]
    assert (
        "低库存（不高于预警库存）：1 个" in column_a and "负库存（需入库或盘点）：1 个" in column_a
    )
    assert "东北大米" in column_b
    hostile = sheet.cell(column_b.index("=鲁花菜籽油") + 1, 2)
    assert hostile.data_type == "s"


@pytest.mark.parametrize(("which", "name"), [("low", "东北大米"), ("negative", "'=鲁花菜籽油")])
def test_each_list_as_csv(client, login, warnings, which: str, name: str) -> None:
    login(Role.SUPERVISOR)
    answer = client.get(f"/inventory/reports/{which}.csv")
    assert answer.status_code == 200 and answer.data.startswith(b"\xef\xbb\xbf")
    text = answer.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("条码,品名,规格,分类,单位,库存")
    assert name in text


def test_other_reports_are_not_found(client, login) -> None:
    login(Role.SUPERVISOR)
    assert client.get("/inventory/reports/all.csv").status_code == 404
    assert client.get("/inventory/reports/low.xlsx").status_code == 404
