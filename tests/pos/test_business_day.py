"""Shifts belong to a business day (issue 13, D5): a shift opened on an earlier day in store time
takes no new sale, hold or refund (409 `conflict`, details `stale_shift`); the cashier counts and
closes it, or a supervisor closes it as not counted (未清点, marked on its Z report); voids are for
the same shift and day only, later it is a refund."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from core.auth import Role
from core.config import Settings
from pos.app import create_app
from pos.models import HeldSale, Shift
from pos.printing.models import PrintJob
from pos.printing.preview import receipt_html
from pos.printing.services import jobs
from tests.conftest import shanghai

WEEK_MINUTES = 7 * 24 * 60


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # the calls below span days; idle sign-outs and token expiry are tested elsewhere
    return settings.with_overrides(
        security={
            "idle_minutes": WEEK_MINUTES,
            "terminal_idle_minutes": WEEK_MINUTES,
            "token_ttl_hours": 7 * 24,
        }
    )


def _cash_sale(store, barcode=None):
    return {
        "client_ref": str(uuid.uuid4()),
        "lines": [{"barcode": barcode or store.rice.barcode}],
        "payments": [{"method": "cash", "amount": "10.00"}],
    }


def _error(answer):
    return answer.get_json()["error"]


def test_a_sale_does_not_join_yesterdays_shift(api, store, clock, session) -> None:
    cashier = api(Role.CASHIER)
    clock.set(shanghai(2026, 11, 30, 23, 50))  # 15:50 UTC: the same UTC day as what follows
    first = cashier.post("/api/v1/sales", json=_cash_sale(store))
    assert first.status_code == 201
    opened = cashier.get("/api/v1/shifts/current").get_json()
    assert opened["business_date"] == "2026-11-30" and opened["stale"] is False
    clock.set(shanghai(2026, 12, 1, 0, 10))
    late = cashier.post("/api/v1/sales", json=_cash_sale(store))
    assert late.status_code == 409
    error = _error(late)
    assert error["code"] == "conflict" and error["details"]["reason"] == "stale_shift"
    assert error["details"]["business_date"] == "2026-11-30"
    assert "2026-11-30" in error["message"] and "交班" in error["message"]
    held = cashier.post("/api/v1/held", json={"lines": [{"barcode": store.rice.barcode}]})
    assert held.status_code == 409 and _error(held)["details"]["reason"] == "stale_shift"
    current = cashier.get("/api/v1/shifts/current").get_json()
    assert current["stale"] is True and current["id"] == opened["id"]
    # the cashier counts and closes it; the next sale opens today's shift
    closed = cashier.post("/api/v1/shifts/current/close", json={"counts": {"10.00": 1}})
    assert closed.status_code == 200 and closed.get_json()["uncounted"] is False
    again = cashier.post("/api/v1/sales", json=_cash_sale(store))
    assert again.status_code == 201
    today = cashier.get("/api/v1/shifts/current").get_json()
    assert today["business_date"] == "2026-12-01" and today["id"] != opened["id"]
    session.rollback()
    z = session.get(Shift, opened["id"]).z_report
    assert z["business_date"] == "2026-11-30" and z["sales_count"] == 1


def test_the_business_day_is_the_configured_store_timezone(
    settings, database, clock, make_user, store
) -> None:
    urumqi = create_app(
        settings.with_overrides(store={"timezone": "Asia/Urumqi"}),  # UTC+6
        database=database,
        clock=clock,
        testing=True,
    )
    client = urumqi.test_client()
    user = make_user(Role.CASHIER)
    token = client.post(
        "/api/v1/login", json={"username": user.username, "password": "password123"}
    ).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}

    def sale():
        return client.post("/api/v1/sales", json=_cash_sale(store), headers=headers).status_code

    clock.set(shanghai(2026, 12, 1, 1, 30))  # 23:30 on 30 November in Urumqi
    assert sale() == 201
    clock.set(shanghai(2026, 12, 1, 1, 55))  # 23:55 in Urumqi: the same business day
    assert sale() == 201
    clock.set(shanghai(2026, 12, 1, 2, 10))  # 00:10 on 1 December in Urumqi
    assert sale() == 409


def test_void_only_the_same_day_later_a_refund(api, store, clock, session) -> None:
    cashier = api(Role.CASHIER)
    supervisor = api(Role.SUPERVISOR)
    clock.set(shanghai(2026, 11, 30, 18, 0))
    sold = cashier.post("/api/v1/sales", json=_cash_sale(store)).get_json()
    other = cashier.post("/api/v1/sales", json=_cash_sale(store)).get_json()
    same_day = supervisor.post(
        f"/api/v1/sales/{other['sale_no']}/refund", json={"reason": "扫错了", "void": True}
    )
    assert same_day.status_code == 201
    clock.set(shanghai(2026, 12, 1, 9, 0))
    void = supervisor.post(
        f"/api/v1/sales/{sold['sale_no']}/refund", json={"reason": "扫错了", "void": True}
    )
    assert void.status_code == 409
    assert "2026-11-30" in _error(void)["message"] and "退货" in _error(void)["message"]
    refund = supervisor.post(f"/api/v1/sales/{sold['sale_no']}/refund", json={"reason": "退货"})
    assert refund.status_code == 201, refund.get_json()
    session.rollback()
    stale = session.scalar(select(Shift).where(Shift.cashier_name.like("cashier%")))
    assert stale.status == "open"
    # the refund's cash came out of a drawer of today, not the stale shift
    refund_shift = session.scalars(select(Shift).order_by(Shift.id.desc())).first()
    assert refund_shift.id != stale.id and refund_shift.opened_at == clock()


def test_supervisor_closes_a_stale_shift_as_not_counted(api, store, clock, session) -> None:
    cashier = api(Role.CASHIER)
    supervisor = api(Role.SUPERVISOR)
    cashier.post("/api/v1/sales", json=_cash_sale(store))
    cashier.post("/api/v1/held", json={"lines": [{"barcode": store.oil.barcode}]})
    shift_id = cashier.get("/api/v1/shifts/current").get_json()["id"]
    url = f"/api/v1/shifts/{shift_id}/close-uncounted"
    today = supervisor.post(url, json={"reason": "收银员请假"})
    assert today.status_code == 409 and "今天的班次" in _error(today)["message"]
    clock.advance(days=1)
    assert cashier.post(url, json={"reason": "收银员请假"}).status_code == 403
    empty = supervisor.post(url, json={"reason": " "})
    assert empty.status_code == 400 and "原因" in _error(empty)["message"]
    closed = supervisor.post(url, json={"reason": "收银员请假，钱箱已上交"})
    assert closed.status_code == 200, closed.get_json()
    body = closed.get_json()
    assert body["status"] == "closed" and body["uncounted"] is True
    assert body["counted_cash"] is None and body["z_number"] == 1
    assert body["variance_reason"].startswith("未清点")
    assert supervisor.post(url, json={"reason": "再关一次"}).status_code == 409
    session.rollback()
    assert session.scalars(select(HeldSale)).all() == []
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "z_report"))
    printed = str(receipt_html(jobs.document_of(job), store.settings))
    assert "未清点" in printed and "收银员请假" in printed  # on the paper Z report too
    shift = session.get(Shift, shift_id)
    assert shift.z_report["uncounted"] == 1 and shift.z_report["held_discarded"] == 1
    # the cashier's next sale opens a new shift
    assert cashier.post("/api/v1/sales", json=_cash_sale(store)).status_code == 201


def test_shifts_page_surfaces_stale_shifts(client, login, api, store, clock) -> None:
    cashier = api(Role.CASHIER)
    cashier.post("/api/v1/sales", json=_cash_sale(store))
    shift_id = cashier.get("/api/v1/shifts/current").get_json()["id"]
    login(Role.SUPERVISOR)
    page = client.get("/office/shifts").get_data(as_text=True)
    assert "跨营业日未交班" not in page and "stale-shifts" not in page
    clock.advance(days=1)
    page = client.get("/office/shifts").get_data(as_text=True)
    assert "之前营业日未交班的班次（1 个）" in page and "跨营业日未交班" in page
    home = client.get("/office").get_data(as_text=True)
    assert "跨营业日未交班" in home and "1 个" in home
    answer = client.post(
        f"/office/shifts/{shift_id}/close-uncounted", data={"reason": "收银员未交班"}
    )
    assert answer.status_code == 302
    report = client.get(f"/office/shifts/{shift_id}").get_data(as_text=True)
    assert "未清点" in report and "Z 报表" in report
    listing = client.get("/office/shifts").get_data(as_text=True)
    assert "之前营业日未交班" not in listing and "未清点" in listing
