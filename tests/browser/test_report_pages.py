"""A report page in Chromium: the period picker, the chart drawn server-side (no script), the
table, the exports, and the chart still there when printed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from core.auth import Role
from tests.pos import conftest as checkout_fixtures
from tests.pos.conftest import Store

store = checkout_fixtures.store  # the checkout tests' small store, as a fixture here too

pytestmark = pytest.mark.browser


def test_the_sales_report_by_hour_shows_its_chart_and_exports(
    browser: Any, live_server: str, make_user: Any, api: Any, store: Store, artifacts: Any
) -> None:
    for _ in range(2):
        body = {
            "client_ref": str(uuid.uuid4()),
            "card_no": store.card.card_no,
            "lines": [{"barcode": store.rice.barcode}],
            "payments": [{"method": "card", "amount": "9.50"}],
        }
        assert api(Role.CASHIER).post("/api/v1/sales", json=body).status_code == 201
    make_user(Role.SUPERVISOR, username="boss")
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    page.goto(live_server + "/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "password123")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(live_server + "/office/reports/sales")
    assert "销售报表" in page.inner_text("nav")  # in the menu
    page.select_option("select[name=by]", "hour")
    with page.expect_navigation():
        page.click("form.report-picker button[type=submit]")
    assert "by=hour" in page.url and "start=" in page.url
    chart = page.locator("figure.chart svg")
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 200
    assert "各时段购物笔数" in (chart.text_content() or "")
    bars = page.locator("figure.chart svg rect title")
    assert bars.count() >= 1
    table = page.inner_text("table.report-table")
    assert "合计" in table and "19.00" in table  # two sales of 9.50
    export = page.locator("p.exports a").first.get_attribute("href")
    assert export is not None and "format=xlsx" in export and "by=hour" in export
    page.screenshot(path=str(artifacts / "report-sales-by-hour.png"), full_page=True)
    page.emulate_media(media="print")
    assert chart.is_visible() and not page.locator("form.report-picker").is_visible()
    context.close()
