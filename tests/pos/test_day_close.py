"""The store day close (日结): refused while a shift of the day is open, then the day's takings
by tender and terminal, refunds, printed and on the office page; closing again changes nothing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select

from cards.services.seals import seal_through
from core.audit import AuditEvent
from core.auth import Role
from pos.printing.models import PrintJob
from tests.conftest import cli_ok
from tests.pos.conftest import Store


def _sale(store: Store, qty: int, payment: dict[str, str]) -> dict[str, Any]:
    return {
        "client_ref": str(uuid.uuid4()),
        "lines": [{"barcode": store.rice.barcode, "qty": qty}],
        "payments": [payment],
    }


def test_a_day_closes_once_every_shift_is_closed(
    api: Any, login: Any, client: Any, store: Store, session: Any, cli: Any
) -> None:
    first, second = api(Role.CASHIER), api(Role.CASHIER)
    sold = first.post("/api/v1/sales", json=_sale(store, 2, {"method": "cash", "amount": "20.00"}))
    assert sold.status_code == 201
    opened = second.post("/api/v1/shifts", json={"opening_float": "0.00", "terminal": "02"})
    assert opened.status_code == 201, opened.get_json()
    qr = {"method": "qr", "amount": "10.00", "reference": "884422"}
    assert second.post("/api/v1/sales", json=_sale(store, 1, qr)).status_code == 201
    refund = api(Role.SUPERVISOR).post(
        f"/api/v1/sales/{sold.get_json()['sale_no']}/refund",
        json={"lines": [{"barcode": store.rice.barcode, "qty": 1}], "reason": "多拿了"},
    )
    assert refund.status_code == 201

    login(Role.SUPERVISOR)
    refused = client.post("/office/day/close", data={"day": "2026-11-29"})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "未交班" in text and "收银台 01" in text and "收银台 02" in text

    closing = {"counts": {"10.00": 1}, "reason": ""}
    assert first.post("/api/v1/shifts/current/close", json=closing).status_code == 200
    closing = {"counts": {}, "reason": ""}
    assert second.post("/api/v1/shifts/current/close", json=closing).status_code == 200

    page = client.get("/office/day?day=2026-11-29").get_data(as_text=True)
    assert "日结并打印" in page
    assert client.post("/office/day/close", data={"day": "2026-11-29"}).status_code == 302
    page = client.get("/office/day?day=2026-11-29").get_data(as_text=True)
    assert "已日结" in page
    for words in ("￥30.00", '扫码收款</th><td class="num">￥10.00', "1 笔 ￥10.00"):
        assert words in page
    assert '现金收入</th><td class="num">￥20.00' in page
    session.rollback()
    event = session.scalars(select(AuditEvent).where(AuditEvent.kind == "day_close")).one()
    assert event.subject == "2026-11-29"
    assert '"qr": "10.00"' in event.detail
    # the day's seal: the ledger through the day, on the page and in the record, and it holds
    seal = str(seal_through(session, date(2026, 11, 29)))
    assert seal != "0:" + "0" * 16 and f'"seal": "{seal}"' in event.detail
    assert f'<code class="seal">{seal}</code>' in page
    assert f"封印 {seal}：与账本相符" in cli_ok(cli("ledger", "verify", "--seal", seal))
    printed = session.scalars(select(PrintJob).where(PrintJob.reference == "DAY20261129")).one()
    assert printed.kind == "slip"

    again = client.post("/office/day/close", data={"day": "2026-11-29"}, follow_redirects=True)
    assert "早已日结" in again.get_data(as_text=True)
    session.rollback()
    count = select(func.count(AuditEvent.id)).where(AuditEvent.kind == "day_close")
    assert session.scalar(count) == 1


def test_a_day_without_shifts_or_still_to_come_is_refused(
    login: Any, client: Any, store: Store
) -> None:
    login(Role.SUPERVISOR)
    empty = client.post("/office/day/close", data={"day": "2026-11-28"})
    assert empty.status_code == 400
    assert "没有班次" in empty.get_data(as_text=True)
    future = client.post("/office/day/close", data={"day": "2026-12-01"})
    assert future.status_code == 400
    assert "还没到" in future.get_data(as_text=True)
    assert "没有班次" in client.get("/office/day?day=2026-11-28").get_data(as_text=True)
