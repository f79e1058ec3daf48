"""The Z report carries the ledger's seal current at the close: stored on the shift, in the API's
answer, on the printed Z and its page; `charity ledger verify --seal` proves the books up to it,
also after later sales."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cards.services.seals import current_seal, parse_seal, seal_through
from core.auth import Role
from pos.models import Shift
from pos.printing.layout import layout_document
from pos.printing.models import PrintJob
from pos.printing.services.jobs import document_of
from tests.conftest import cli_ok
from tests.pos.printing.conftest import sample_zreport


def _card_sale(cashier, store) -> None:  # type: ignore[no-untyped-def]
    answer = cashier.post(
        "/api/v1/sales",
        json={
            "client_ref": str(uuid.uuid4()),
            "card_no": store.card.card_no,
            "lines": [{"barcode": store.rice.barcode}],
            "payments": [{"method": "card", "amount": "9.50"}],
        },
    )
    assert answer.status_code == 201


def test_the_z_report_prints_the_seal_at_the_close(api, store, session, cli, client, login):
    cashier = api(Role.CASHIER)
    cashier.post("/api/v1/shifts", json={"opening_float": "0.00"})
    _card_sale(cashier, store)
    closed = cashier.post("/api/v1/shifts/current/close", json={"counts": {}}).get_json()
    session.rollback()
    seal = str(current_seal(session))
    assert closed["seal"] == seal and parse_seal(seal).seq == 2  # the adjustment, the sale
    shift = session.scalar(select(Shift).where(Shift.z_number == closed["z_number"]))
    assert shift is not None and shift.z_seal == seal
    job = session.scalar(select(PrintJob).where(PrintJob.kind == "z_report"))
    assert job is not None
    lines = layout_document(document_of(job), width=32, tz=ZoneInfo("Asia/Shanghai")).lines()
    assert any(f"账本封印：{seal}" in line for line in lines)
    login(Role.SUPERVISOR)
    page = client.get(f"/office/shifts/{shift.id}").get_data(as_text=True)
    assert f"charity ledger verify --seal {seal}" in page
    # later sales append to the chain: the seal on paper still proves the books up to it
    cashier.post("/api/v1/shifts", json={"opening_float": "0.00"})
    _card_sale(cashier, store)
    assert "与账本相符" in cli_ok(cli("ledger", "verify", "--seal", seal))


@pytest.mark.parametrize("width", [32, 48])
def test_the_seal_line_fits_the_paper(width: int) -> None:
    lines = layout_document(
        sample_zreport(seal="123456:0123456789abcdef"), width=width, tz=ZoneInfo("Asia/Shanghai")
    ).lines()
    assert any("123456:0123456789abcdef" in line for line in lines)
    assert not any(
        "账本封印" in line
        for line in layout_document(
            sample_zreport(), width=width, tz=ZoneInfo("Asia/Shanghai")
        ).lines()
    )


def test_seal_through_a_day_is_its_last_transaction(store, session, clock):
    today = clock().date()
    assert seal_through(session, today) == current_seal(session)
    assert seal_through(session, today.replace(day=1)).seq == 0


@pytest.mark.parametrize(
    "text", ["", "12", "12:abc", "x:12:0123456789abcdeg", "-1:0123456789abcdef"]
)
def test_a_malformed_seal_names_the_value(text: str) -> None:
    from core.errors import ValidationError

    with pytest.raises(ValidationError, match="封印"):
        parse_seal(text)


def test_a_store_chain_seal_keeps_its_name() -> None:
    seal = parse_seal("store:01:7:0123456789ABCDEF")
    assert (seal.chain, seal.seq, seal.hash) == ("store:01", 7, "0123456789abcdef")
    assert str(seal) == "store:01:7:0123456789abcdef"
    assert str(parse_seal(" 7:0123456789abcdef ")) == "7:0123456789abcdef"
