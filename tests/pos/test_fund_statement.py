"""The fund statement through the app: card-sale and clothing figures from the counter (hooks),
`charity month close` and `charity report fund`, the page, the downloads and the API's roles."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from core.auth import Role
from tests.conftest import cli_ok, shanghai
from tests.pos.test_checkout import card, sale


def _november(api, store) -> None:
    cashier = api(Role.CASHIER)
    made = cashier.post(
        "/api/v1/sales",
        json=sale(
            [{"barcode": store.rice.barcode, "qty": 2}, {"barcode": store.oil.barcode, "qty": 1}],
            [card("46.88")],
            store.card.card_no,
        ),
    )
    assert made.status_code == 201, made.get_json()
    free = cashier.post(
        "/api/v1/sales", json=sale([{"barcode": store.sweater.barcode}], [], store.card.card_no)
    )
    assert free.status_code == 201, free.get_json()
    back = api(Role.SUPERVISOR).post(
        f"/api/v1/sales/{made.get_json()['sale_no']}/refund",
        json={"reason": "包装破损", "lines": [{"barcode": store.rice.barcode, "qty": 1}]},
    )
    assert back.status_code == 201, back.get_json()


def test_statement_shows_the_counters_figures_and_closes(api, store, cli, clock, session):
    _november(api, store)
    data = json.loads(cli_ok(cli("report", "fund", "2026-11", "--format", "json")))
    assert data["total"] == {
        "people": 0,
        "opening": "0.00",
        "credited": "0.00",
        "spent": "46.88",
        "refunded": "9.50",
        "lapsed": "0.00",
        "adjustments": "50.00",
        "closing": "12.62",
    }
    assert data["stores"] == {"01": {"spent": "46.88", "refunded": "9.50", "purchases": 2}}
    # rice 2 x 0.50 + oil 2.42 off the list price, less the returned bag's 0.50
    assert (data["charity_discount"], data["purchases"], data["shoppers"]) == ("2.92", 2, 1)
    assert data["clothing_items"] == 1 and data["balanced"] is True and not data["closed"]
    table = cli_ok(cli("report", "fund", "2026-11"))
    assert "平衡" in table and "慈善让利 2.92" in table
    refused = cli("month", "close", "2026-11")
    assert refused.exit_code == 1 and "还没有结束" in refused.output
    clock.set(shanghai(2026, 12, 2, 9))
    closed = cli_ok(cli("month", "close", "2026-11"))
    assert "已结账" in closed and "封印：" in closed
    again = cli_ok(cli("month", "close", "2026-11"))
    assert "未做任何改动" in again
    assert cli("month", "close", "2026-12").exit_code == 1
    stored = json.loads(cli_ok(cli("report", "fund", "2026-11", "--format", "json")))
    assert stored == {**data, "closed": True}
    # a December sale changes nothing in November
    _december_sale = api(Role.CASHIER).post(
        "/api/v1/sales",
        json=sale([{"barcode": store.rice.barcode, "qty": 1}], [card("9.50")], store.card.card_no),
    )
    assert _december_sale.status_code == 201
    assert json.loads(cli_ok(cli("report", "fund", "2026-11", "--format", "json"))) == stored
    december = json.loads(cli_ok(cli("report", "fund", "2026-12", "--format", "json")))
    assert december["total"]["opening"] == "12.62" and december["total"]["spent"] == "9.50"


def test_api_roles_and_pages(api, store, client, login, clock):
    _november(api, store)
    for role, status in (
        (Role.BUREAU, 200),
        (Role.ADMIN, 200),
        (Role.CASHIER, 403),
        (Role.SUPERVISOR, 403),
    ):
        answer = api(role).get("/api/v1/reports/fund/2026-11")
        assert answer.status_code == status, (role, answer.get_json())
    body = api(Role.BUREAU).get("/api/v1/reports/fund/2026-11").get_json()
    assert body["month"] == "2026-11" and body["total"]["closing"] == "12.62"
    bad = api(Role.BUREAU).get("/api/v1/reports/fund/2026-13")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "validation_error"
    login(Role.BUREAU)
    page = client.get("/cards/fund?month=2026-11").get_data(as_text=True)
    assert "资金月报" in page and "平衡" in page and "12.62" in page
    with client.get("/cards/fund/2026-11.xlsx") as download:
        book = load_workbook(io.BytesIO(download.data))
    assert book.sheetnames == ["资金月报", "门店", "其他"]
    sheet = book["资金月报"]
    header = next(r for r in sheet.iter_rows() if r[0].value == "类别")
    assert sheet.freeze_panes is not None
    total = next(r for r in sheet.iter_rows() if r[0].value == "合计")
    assert total[-1].value == 12.62 and total[-1].number_format.endswith("0.00")
    assert "封印" not in str(sheet["A1"].value) and header[1].value == "充值人数"
    with client.get("/cards/fund/2026-11.csv") as csv_download:
        assert "期末余额" in csv_download.data.decode("utf-8-sig")
    months = client.get("/cards/months").get_data(as_text=True)
    assert "2026-11" in months and "本月未结束" in months
    early = client.post("/cards/months/2026-11/close", follow_redirects=True)
    assert "还没有结束" in early.get_data(as_text=True)
    clock.set(shanghai(2026, 12, 1, 8))
    login(Role.BUREAU)  # the clock moved past the idle timeout
    done = client.post("/cards/months/2026-11/close", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "已结账" in text and "封印" in text
    closed = client.get("/cards/fund?month=2026-11").get_data(as_text=True)
    assert "已结账" in closed
    with client.get("/cards/fund/2026-11.xlsx") as download:
        titled = load_workbook(io.BytesIO(download.data))["资金月报"]
    assert any("封印" in str(c.value) for row in titled.iter_rows(max_row=6) for c in row)
    assert client.get("/cards/months/2026-11/close").status_code == 405
