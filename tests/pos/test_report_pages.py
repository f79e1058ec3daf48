"""The office's sales report and outreach pages: period picker, table, chart, paging, exports."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select

from core import audit
from core.auth import Actor, Role, StaffUser
from core.db import Database
from core.money import Money
from inventory.services.stock import record_movement
from tests.conftest import FakeClock
from tests.pos.conftest import ACTOR, Store
from tests.pos.test_report_lists import _sell


def test_sales_by_each_grouping_shows_the_sale_and_a_chart(
    client: FlaskClient,
    database: Database,
    store: Store,
    clock: FakeClock,
    login: Callable[..., StaffUser],
    make_user: Callable[..., StaffUser],
) -> None:
    cashier = make_user(Role.CASHIER)
    with database.transaction() as session:
        user = session.get(StaffUser, cashier.id)
        assert user is not None
        user.display_name = "王收银"
    _sell(database, store, Actor.of(cashier), clock, "r-1")
    login(Role.SUPERVISOR)
    for by, expected in [
        ("day", "9.50"),
        ("hour", "9.50"),
        ("cashier", "王收银"),
        ("category", "9.50"),
        ("product", "东北大米"),
    ]:
        page = client.get(f"/office/reports/sales?by={by}")
        assert page.status_code == 200, by
        text = page.get_data(as_text=True)
        assert expected in text and "<svg" in text and "style=" not in text.split("<svg", 1)[1]
    csv_file = client.get("/office/reports/sales?by=cashier&format=csv")
    assert csv_file.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_file.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["收银员", "笔数"] and rows[1][:2] == ["王收银", "1"]
    assert rows[-1][0] == "合计"
    xlsx = client.get("/office/reports/sales?by=product&format=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "东北大米" in values and 9.5 in values  # numbers as numbers


def test_a_bad_period_or_grouping_is_a_chinese_400(
    client: FlaskClient, login: Callable[..., StaffUser]
) -> None:
    login(Role.SUPERVISOR)
    for url in (
        "/office/reports/sales?start=2026-13-01",
        "/office/reports/sales?start=2026-12-02&end=2026-12-01",
        "/office/reports/sales?by=week",
        "/office/reports/sales?page=x",
        "/office/reports/sales?format=pdf",
    ):
        page = client.get(url)
        assert page.status_code == 400, url
        assert "Bad Request" not in page.get_data(as_text=True)


def test_the_outreach_page_masks_names_and_the_export_is_full_and_audited(
    client: FlaskClient,
    database: Database,
    store: Store,
    login: Callable[..., StaffUser],
) -> None:
    login(Role.BUREAU)
    page = client.get("/office/reports/dormant?months=2").get_data(as_text=True)
    assert "李*" in page and "张*云" in page and "李四" not in page
    exported = client.get("/office/reports/dormant?months=2&format=csv").get_data(as_text=True)
    assert "李四" in exported and "张三云" in exported
    with database.session() as session:
        kinds = session.scalars(
            select(audit.AuditEvent.subject).where(audit.AuditEvent.kind == "export")
        ).all()
    assert list(kinds) == ["report dormant"]
    assert client.get("/office/reports/dormant?months=0").status_code == 400


def test_reports_are_in_the_menu_for_their_roles(
    client: FlaskClient, login: Callable[..., StaffUser]
) -> None:
    login(Role.SUPERVISOR)
    home = client.get("/office/reports/sales").get_data(as_text=True)
    assert "销售报表" in home


def test_the_flows_page_charts_twelve_months_of_credited_spent_and_lapsed(
    client: FlaskClient,
    database: Database,
    store: Store,
    clock: FakeClock,
    login: Callable[..., StaffUser],
    make_user: Callable[..., StaffUser],
) -> None:
    _sell(database, store, Actor.of(make_user(Role.CASHIER)), clock, "f-1")
    login(Role.BUREAU)
    page = client.get("/cards/reports/flows")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("<svg") == 2 and "充值" in text and "过期" in text
    csv_text = client.get("/cards/reports/flows?format=csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert rows[0] == ["月份", "充值", "消费（扣除退款）", "过期", "调整"]
    assert len(rows) == 1 + 12 + 1  # the header, twelve months, the total
    this_month = rows[-2]
    assert this_month[2] == "9.50" and this_month[4] == "50.00"  # the sale; the test's top-up
    assert rows[-1][0] == "合计" and rows[-1][2] == "9.50"
    assert client.get("/cards/reports/flows?month=2026-13").status_code == 400
    assert client.get("/cards/reports/flows?month=2099-01").status_code == 400
    assert "资金走势" in client.get("/cards/fund").get_data(as_text=True)


def test_the_stock_valuation_page_and_its_files(
    client: FlaskClient,
    database: Database,
    store: Store,
    clock: FakeClock,
    login: Callable[..., StaffUser],
) -> None:
    with database.transaction() as session:
        rice = session.merge(store.rice)
        record_movement(
            session,
            rice,
            Decimal(5),
            "receipt",
            at=clock(),
            actor=ACTOR,
            unit_cost=Money.parse("7.00"),
        )
    login(Role.SUPERVISOR)
    page = client.get("/inventory/reports/valuation")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "东北大米" in text and "175.00" in text and "不分门店" in text and "<svg" in text
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/inventory/reports/valuation?format=csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )
    assert rows[0][:2] == ["条码", "商品"]
    rice_row = next(r for r in rows if r[0] == store.rice.barcode)
    assert rice_row[-2:] == ["175.00", "250.00"]  # 25 bags at 7.00 cost, at 10.00 list
    assert client.get("/inventory/reports/valuation?format=xlsx").status_code == 200
