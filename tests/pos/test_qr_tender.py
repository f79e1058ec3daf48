"""The recorded `qr` tender: money the customer paid to the store's own WeChat/Alipay
collection code, with the transaction's last digits; never change, kept apart from cash in the
X and Z reports, and refunded the way it came."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from core.auth import Role
from pos.models import Refund, Sale
from pos.printing.layout import layout_document
from pos.services.receipts import refund_slip, sale_receipt, shift_report
from tests.pos.conftest import Store


def _sale(store: Store, payments: list[dict[str, Any]], card: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_ref": str(uuid.uuid4()),
        "lines": [{"barcode": store.rice.barcode, "qty": 2}],
        "payments": payments,
    }
    if card:
        body["card_no"] = store.card.card_no
    return body


def _text(document: Any, settings: Any) -> str:
    return "\n".join(layout_document(document, width=32, tz=settings.tz).lines())


def test_a_public_sale_paid_by_the_collection_code(api: Any, store: Store, session: Any) -> None:
    cashier = api(Role.CASHIER)
    answer = cashier.post(
        "/api/v1/sales",
        json=_sale(store, [{"method": "qr", "amount": "20.00", "reference": "384512"}]),
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert (body["paid_qr"], body["qr_reference"], body["paid_cash"], body["change"]) == (
        "20.00",
        "384512",
        "0.00",
        "0.00",
    )
    shift = cashier.get("/api/v1/shifts/current").get_json()
    assert shift["totals"]["qr_total"] == "20.00"
    assert shift["totals"]["cash_total"] == "0.00"
    assert shift["totals"]["expected_cash"] == "0.00"  # not in the drawer
    session.rollback()
    sale = session.scalars(select(Sale)).one()
    assert (sale.paid_qr_fen, sale.qr_reference) == (2000, "384512")


def test_card_then_qr_then_cash_and_the_qr_never_gives_change(
    api: Any, store: Store, session: Any
) -> None:
    cashier = api(Role.CASHIER)
    too_much = cashier.post(
        "/api/v1/sales",
        json=_sale(store, [{"method": "qr", "amount": "25.00", "reference": "1234"}]),
    )
    assert too_much.status_code == 422
    assert too_much.get_json()["error"]["code"] == "payment_mismatch"
    assert "不找零" in too_much.get_json()["error"]["message"]
    mixed = cashier.post(
        "/api/v1/sales",
        json=_sale(
            store,
            [
                {"method": "card", "amount": "10.00"},
                {"method": "qr", "amount": "5.00", "reference": "A1B2C3"},
                {"method": "cash", "amount": "10.00"},
            ],
            card=True,
        ),
    )
    assert mixed.status_code == 201, mixed.get_json()
    assert mixed.get_json()["change"] == "6.00"  # 19.00 due: 10 card + 5 qr + 4 of the cash


def test_a_qr_payment_needs_the_transaction_digits(api: Any, store: Store) -> None:
    cashier = api(Role.CASHIER)
    for reference in (None, "", "12", "12 34"):
        payment: dict[str, Any] = {"method": "qr", "amount": "20.00"}
        if reference is not None:
            payment["reference"] = reference
        answer = cashier.post("/api/v1/sales", json=_sale(store, [payment]))
        assert answer.status_code == 400, reference
        assert "交易单号" in answer.get_json()["error"]["message"]
    cash_with_reference = cashier.post(
        "/api/v1/sales",
        json=_sale(store, [{"method": "cash", "amount": "20.00", "reference": "1234"}]),
    )
    assert cash_with_reference.status_code == 400


def test_a_refund_goes_back_by_qr_and_the_papers_say_so(
    api: Any, store: Store, session: Any, settings: Any, clock: Any
) -> None:
    cashier = api(Role.CASHIER)
    sold = cashier.post(
        "/api/v1/sales",
        json=_sale(store, [{"method": "qr", "amount": "20.00", "reference": "384512"}]),
    ).get_json()
    refund = api(Role.SUPERVISOR).post(
        f"/api/v1/sales/{sold['sale_no']}/refund",
        json={"lines": [{"barcode": store.rice.barcode, "qty": 1}], "reason": "重复购买"},
    )
    assert refund.status_code == 201, refund.get_json()
    assert (refund.get_json()["qr"], refund.get_json()["cash"]) == ("10.00", "0.00")
    session.rollback()
    record = session.scalars(select(Refund)).one()
    sale = record.sale
    receipt = _text(
        sale_receipt(session, sale, settings=settings, at=clock(), allowance=None), settings
    )
    assert "扫码收款" in receipt and "384512" in receipt
    slip = _text(refund_slip(session, record, settings=settings), settings)
    assert "扫码退回" in slip and "退还现金" not in slip
    z = _text(shift_report(session, sale.shift, settings=settings, at=clock()), settings)
    assert "扫码收款" in z and "20.00" in z


def test_ledger_verify_reconciles_qr_sales_and_refunds(api: Any, store: Store, cli: Any) -> None:
    """`charity ledger verify` counts the QR tender among a sale's and a refund's payments, so
    the books of a store taking QR payments verify."""
    cashier = api(Role.CASHIER)
    mixed = [
        {"method": "card", "amount": "5.00"},
        {"method": "qr", "amount": "10.00", "reference": "77120"},
        {"method": "cash", "amount": "5.00"},
    ]
    sold = cashier.post("/api/v1/sales", json=_sale(store, mixed, card=True))
    assert sold.status_code == 201, sold.get_json()
    refund = api(Role.SUPERVISOR).post(
        f"/api/v1/sales/{sold.get_json()['sale_no']}/refund",
        json={"lines": [{"barcode": store.rice.barcode, "qty": 2}], "reason": "退货"},
    )
    assert refund.status_code == 201, refund.get_json()
    result = cli("ledger", "verify")
    assert result.exit_code == 0, result.output
    assert "核对通过" in result.output
