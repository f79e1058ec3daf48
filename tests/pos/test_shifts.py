"""A whole shift: open with a float, sell, refund, hold, X report, blind count, Z report."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.auth import Role
from pos.models import Shift
from pos.printing.models import PrintJob


def sale_body(lines, payments, card_no=None):
    body = {"client_ref": str(uuid.uuid4()), "lines": lines, "payments": payments}
    if card_no:
        body["card_no"] = card_no
    return body


def test_full_shift_from_open_to_z_report(api, store, session) -> None:
    cashier = api(Role.CASHIER)
    supervisor = api(Role.SUPERVISOR)
    assert cashier.get("/api/v1/shifts/current").status_code == 404
    opened = cashier.post("/api/v1/shifts", json={"opening_float": "100.00"})
    assert opened.status_code == 201 and opened.get_json()["status"] == "open"
    assert cashier.post("/api/v1/shifts", json={"opening_float": "0"}).status_code == 409

    rice, oil = store.rice.barcode, store.oil.barcode
    card_sale = cashier.post(
        "/api/v1/sales",
        json=sale_body(
            [{"barcode": rice, "qty": 2}],
            [{"method": "card", "amount": "19.00"}],
            store.card.card_no,
        ),
    )
    assert card_sale.status_code == 201
    cash_sale = cashier.post(
        "/api/v1/sales", json=sale_body([{"barcode": oil}], [{"method": "cash", "amount": "50.00"}])
    ).get_json()
    assert cash_sale["change"] == "19.70"  # 30.30 at list price
    clothing = cashier.post(
        "/api/v1/sales",
        json=sale_body([{"barcode": store.sweater.barcode}], [], store.card.card_no),
    )
    assert clothing.status_code == 201
    refund = supervisor.post(
        f"/api/v1/sales/{cash_sale['sale_no']}/refund", json={"reason": "顾客不要了"}
    ).get_json()
    assert refund["cash"] == "30.30"

    x = cashier.get("/api/v1/shifts/current").get_json()
    totals = x["totals"]
    assert totals["sales_count"] == 3
    assert totals["list_total"] == "50.30" and totals["discount_total"] == "1.00"
    assert totals["card_total"] == "19.00" and totals["cash_total"] == "30.30"
    assert totals["refunds_count"] == 1 and totals["cash_refunds"] == "30.30"
    assert totals["clothing_items"] == 1
    assert totals["expected_cash"] == "100.00"  # float + 30.30 kept - 30.30 refunded

    held = cashier.post("/api/v1/held", json={"lines": [{"barcode": rice}], "label": "王大爷"})
    assert held.status_code == 201
    blocked = cashier.post("/api/v1/shifts/current/close", json={"counts": {"100.00": 1}})
    assert blocked.status_code == 409 and "挂单" in blocked.get_json()["error"]["message"]
    listed = cashier.get("/api/v1/held").get_json()["items"]
    assert [h["label"] for h in listed] == ["王大爷"]
    resumed = cashier.post(f"/api/v1/held/{listed[0]['id']}/resume").get_json()
    assert resumed["lines"] == [{"barcode": rice, "qty": None}]
    assert cashier.get("/api/v1/held").get_json()["items"] == []

    short = cashier.post(
        "/api/v1/shifts/current/close",
        json={"counts": {"50.00": 1, "20.00": 2, "5.00": 1, "0.50": 1}},
    )
    assert short.status_code == 400 and "-￥4.50" in short.get_json()["error"]["message"]
    bad_note = cashier.post("/api/v1/shifts/current/close", json={"counts": {"3.00": 1}})
    assert bad_note.status_code == 400
    closed = cashier.post(
        "/api/v1/shifts/current/close",
        json={"counts": {"50.00": 1, "20.00": 2, "5.00": 1, "0.50": 1}, "reason": "找错零钱"},
    ).get_json()
    assert closed["status"] == "closed" and closed["z_number"] == 1
    assert (closed["counted_cash"], closed["variance"]) == ("95.50", "-4.50")
    assert closed["receipt"]["status"] == "off"
    session.rollback()
    z_job = session.scalar(select(PrintJob).where(PrintJob.kind == "z_report"))
    assert z_job is not None and z_job.reference == "Z00001"

    # the Z report is frozen: later work happens in a new shift and changes nothing of it
    later = cashier.post(
        "/api/v1/sales",
        json=sale_body([{"barcode": rice}], [{"method": "cash", "amount": "10.00"}]),
    )
    assert later.status_code == 201
    first = session.scalar(select(Shift).where(Shift.z_number == 1))
    assert supervisor.get(f"/api/v1/shifts/{first.id}").get_json()["totals"] == closed["totals"]
    second = cashier.post("/api/v1/shifts/current/close", json={"counts": {"10.00": 1}}).get_json()
    assert second["z_number"] == 2 and second["variance"] == "0.00"


def test_shift_reports_are_for_supervisors(api, store) -> None:
    cashier = api(Role.CASHIER)
    cashier.post("/api/v1/shifts", json={"opening_float": "0.00"})
    shift_id = cashier.get("/api/v1/shifts/current").get_json()["id"]
    assert cashier.get(f"/api/v1/shifts/{shift_id}").status_code == 403
    assert api(Role.SUPERVISOR).get(f"/api/v1/shifts/{shift_id}").status_code == 200


def test_office_pages_show_sales_receipts_and_shift_reports(client, login, api, store) -> None:
    cashier = api(Role.CASHIER)
    made = cashier.post(
        "/api/v1/sales",
        json=sale_body(
            [{"barcode": store.rice.barcode}],
            [{"method": "card", "amount": "9.50"}],
            store.card.card_no,
        ),
    ).get_json()
    login(Role.SUPERVISOR)
    listing = client.get("/office/sales").get_data(as_text=True)
    assert made["sale_no"] in listing and "张*云" in listing
    page = client.get(f"/office/sales/{made['sale_no']}").get_data(as_text=True)
    assert "东北大米" in page and "慈善优惠" in page and "￥9.50" in page
    reprint = client.post(f"/office/sales/{made['sale_no']}/reprint")
    assert reprint.status_code == 302
    shift_id = cashier.get("/api/v1/shifts/current").get_json()["id"]
    report = client.get(f"/office/shifts/{shift_id}").get_data(as_text=True)
    assert "X 报表" in report
    assert client.get("/office/sales?day=2026-13-01").status_code == 400


def test_cashier_cannot_open_office_pages(client, login) -> None:
    login(Role.CASHIER)
    assert client.get("/office/sales").status_code == 403
