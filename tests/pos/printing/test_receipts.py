"""The receipts of real sales, through the API, on a printer that fails and comes back: what the
counter's sale, refund and copies print (read back from the printer's bytes by the checker),
and an explicit reprint tried at once, whatever happened to earlier jobs."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.services.beneficiaries import add_proxy
from core.auth import Actor, Role, add_user
from core.config import Settings
from core.db import Database
from pos.printing.models import PrintJob
from pos.services.receipts import shift_report, staff_name
from pos.services.shifts import shift_for_work
from tests.conftest import SHANGHAI, TEST_KEYS, FakeClock
from tests.pos.conftest import ACTOR, Store

from .escpos_parse import Printout, parse

PAPER = 58


@pytest.fixture
def printer_file(tmp_path: Path) -> Path:
    """The printer's device file, in a folder that does not exist yet: the printer is dead
    until the test makes the folder."""
    return tmp_path / "usb" / "lp0"


@pytest.fixture
def settings(settings: Settings, printer_file: Path) -> Settings:
    return settings.with_overrides(
        store={"phone": "0371-6612 3456", "hours": "每天 8:30-18:00", "address": "天河路 1 号"},
        printer={"kind": "file", "device": str(printer_file), "paper_width_mm": PAPER},
        # the day below spans hours between calls; idle sign-outs are tested elsewhere
        security={"idle_minutes": 24 * 60},
    )


class Staff:
    """API calls as a staff member with a display name (what paper shows) and a login."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, url: str, **kw: Any) -> Any:
        answer = self.client.post(url, headers=self.headers, **kw)
        assert answer.status_code in (200, 201), answer.get_json()
        return answer.get_json()


def staff(
    client: FlaskClient, database: Database, clock: FakeClock, login: str, name: str, role: Role
) -> Staff:
    with database.transaction() as session:
        add_user(session, login, "password123", role, at=clock(), display_name=name)
    answer = client.post("/api/v1/login", json={"username": login, "password": "password123"})
    return Staff(client, answer.get_json()["token"])


def printed(printer_file: Path) -> Printout:
    return parse(printer_file.read_bytes()).check(PAPER)


def row(result: Printout, label: str) -> str:
    return next(line for line in result.lines() if line.startswith(label)).split()[-1]


def attempts(session: Session, job_id: int) -> tuple[str, int]:
    session.rollback()
    job = session.get(PrintJob, job_id)
    assert job is not None
    return job.status, job.attempts


def test_sale_refund_and_copies_as_the_printer_prints_them(
    client: FlaskClient,
    database: Database,
    session: Session,
    store: Store,
    clock: FakeClock,
    printer_file: Path,
) -> None:
    with database.transaction() as s:
        proxy = add_proxy(
            s,
            store.card.account.beneficiary_id,
            keys=TEST_KEYS,
            name="李四平",
            relation="邻居",
            phone="",
            at=clock(),
            actor=ACTOR,
        )
        proxy_id = proxy.id
    cashier = staff(client, database, clock, "wang", "王收银", Role.CASHIER)
    supervisor = staff(client, database, clock, "zhao", "赵店长", Role.SUPERVISOR)
    lines = [
        {"barcode": store.rice.barcode, "qty": 2},  # 9.50 x 2 (list 10.00)
        {"barcode": store.apples.barcode, "qty": "0.512"},  # 5.70/kg -> 2.92 (list 3.07)
        {"barcode": store.sweater.barcode},  # clothing, free
    ]
    body = {
        "client_ref": str(uuid.uuid4()),
        "card_no": store.card.card_no,
        "proxy_id": proxy_id,
        "lines": lines,
        "payments": [{"method": "card", "amount": "21.92"}],
    }
    sale = cashier.post("/api/v1/sales", json=body)
    sale_no = sale["sale_no"]
    assert sale["receipt"]["status"] == "failed"  # the printer is not there
    assert sale["card_balance"] == "28.08"

    # at once, well inside the 30 s cool-down: the explicit reprint is tried, not queued
    copy = cashier.post(f"/api/v1/sales/{sale_no}/receipt")
    assert copy["status"] == "failed"
    assert attempts(session, copy["job_id"]) == ("failed", 1)
    printer_file.parent.mkdir()  # the printer is plugged back in
    clock.advance(seconds=5)
    copy = cashier.post(f"/api/v1/sales/{sale_no}/receipt")
    assert copy["status"] == "printed"
    receipt = printed(printer_file)
    text = receipt.text
    assert "重打（副本）第 2 次" in text and "重打时间：2026-11-29 10:00:05" in text
    for expected in (
        "电话：0371-6612 3456",
        "营业时间：每天 8:30-18:00",
        "收银员：王收银",  # the display name, not the login
        f"单号：{sale_no}",
        "持卡人：张*云",
        f"卡号尾号 {store.card.card_no[-4:]}",
        "代领人：李*平",
        "毛衣 L 冬（衣物）",
        "0.512kg",
        "慈善价 ￥5.70/kg",
        "标价 ￥6.00/kg",
    ):
        assert expected in text, expected
    assert "wang" not in text
    assert next(x for x in receipt.lines() if x.startswith("件数")).endswith(" 4 件")
    assert row(receipt, "应付") == "￥21.92" and row(receipt, "卡支付") == "￥21.92"
    assert row(receipt, "卡内余额（销售时）") == "￥28.08"
    assert [code.text for code in receipt.barcodes] == [sale_no]
    assert "已退货" not in text

    # a refund of one bag of rice and the apples: the slip prints the lines' list total
    clock.advance(minutes=30)
    refund = supervisor.post(
        f"/api/v1/sales/{sale_no}/refund",
        json={
            "reason": "包装破损",
            "lines": [
                {"barcode": store.rice.barcode, "qty": 1},
                {"barcode": store.apples.barcode, "qty": "0.512"},
            ],
        },
    )
    assert refund["receipt"]["status"] == "printed"
    slip = printed(printer_file)
    assert "退货单" in slip.text and f"原销售单号：{sale_no}" in slip.text
    assert row(slip, "退货标价合计") == "￥13.07"  # 10.00 + 3.07, not the charity 12.42
    assert row(slip, "退款合计") == "￥12.42" and row(slip, "慈善优惠") == "-￥0.65"
    assert row(slip, "退回卡内") == "￥12.42"
    assert row(slip, "退款后卡内余额") == "￥40.50"  # 28.08 + 12.42
    assert f"卡号尾号 {store.card.card_no[-4:]}" in slip.text and "收银员：赵店长" in slip.text

    # a copy after the refund: the balance as at the sale, and a note
    clock.advance(hours=1)
    cashier.post(f"/api/v1/sales/{sale_no}/receipt")
    again = printed(printer_file)
    assert "重打（副本）第 3 次" in again.text and "重打时间：2026-11-29 11:30:05" in again.text
    assert row(again, "卡内余额（销售时）") == "￥28.08"
    assert "本单已退货 1 笔，请以退货单为准" in again.text


def test_the_back_office_reprint_button_prints_at_once_after_a_failure(
    client: FlaskClient,
    database: Database,
    session: Session,
    store: Store,
    clock: FakeClock,
    printer_file: Path,
) -> None:
    cashier = staff(client, database, clock, "wang", "王收银", Role.CASHIER)
    sale = cashier.post(
        "/api/v1/sales",
        json={
            "client_ref": str(uuid.uuid4()),
            "lines": [{"barcode": store.oil.barcode}],
            "payments": [{"method": "cash", "amount": "50.00"}],
        },
    )
    assert sale["receipt"]["status"] == "failed"
    printer_file.parent.mkdir()
    pages = client.application.test_client()
    with database.transaction() as s:
        add_user(s, "boss", "password123", Role.SUPERVISOR, at=clock(), display_name="赵店长")
    signed_in = pages.post("/", data={"username": "boss", "password": "password123"})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    clock.advance(seconds=2)  # still inside the cool-down
    answer = pages.post(f"/office/sales/{sale['sale_no']}/reprint")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert "/printing/jobs/" in answer.headers["Location"]
    session.rollback()  # see what the app committed
    job_id = session.scalar(select(PrintJob.id).where(PrintJob.reprint == 1))
    assert job_id is not None and attempts(session, job_id) == ("printed", 1)
    copy = printed(printer_file)
    assert "重打（副本）第 1 次" in copy.text and "收银员：王收银" in copy.text
    # a cash sale of the public: one price per line, the list price
    assert "慈善价" not in copy.text and row(copy, "应付") == "￥30.30"
    # meanwhile a new sale's receipt still waits out the cool-down after a failure
    printer_file.parent.rename(printer_file.parent.with_name("gone"))
    failed = cashier.post(f"/api/v1/sales/{sale['sale_no']}/receipt")
    assert failed["status"] == "failed"
    later = cashier.post(
        "/api/v1/sales",
        json={
            "client_ref": str(uuid.uuid4()),
            "lines": [{"barcode": store.oil.barcode}],
            "payments": [{"method": "cash", "amount": "30.30"}],
        },
    )
    assert later["receipt"]["status"] == "queued"


def test_shift_reports_name_the_cashier_by_display_name(
    database: Database, session: Session, clock: FakeClock, settings: Settings
) -> None:
    with database.transaction() as s:
        user = add_user(s, "li", "password123", Role.CASHIER, at=clock(), display_name="李收银")
        shift = shift_for_work(s, actor=Actor.of(user), terminal="01", at=clock(), tz=SHANGHAI)
        assert shift.cashier_name == "li"  # the row records the login, as the audit does
        report = shift_report(s, shift, settings=settings, at=clock())
        assert report.cashier == "李收银" and report.report == "X"
        assert staff_name(s, None, "cli:root") == "cli:root"
        assert staff_name(s, 99999, "gone") == "gone"
