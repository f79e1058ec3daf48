"""A name imported with a right-to-left override (U+202E) and other invisible characters is
stored clean, so the terminal's answer and the printed receipt (which read the stored name)
show the holder as `张*云`, not a name that prints backwards or a mask of invisible marks."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from cards.models import Beneficiary
from cards.services import cards as card_services
from cards.services import ledger, roster
from core.auth import Role
from core.money import Money
from inventory.services.products import create_product
from inventory.services.stock import record_movement
from pos.printing.layout import layout_receipt
from pos.services.receipts import sale_receipt
from pos.services.sales import get_sale
from tests.conftest import TEST_KEYS
from tests.pos.conftest import ACTOR, make_id


def test_a_bidi_name_is_stored_and_printed_clean(api, session, settings, clock) -> None:
    at = clock()
    rows = f"序号,姓名,身份证号,类别\r\n1,\u202e张\u200b三云\u2069,{make_id(1)},低保\r\n"
    plan = roster.plan_import(
        session,
        rows.encode(),
        "名单.csv",
        keys=TEST_KEYS,
        categories=settings.allowance.categories,
        at=at,
        tz=settings.tz,
    )
    assert [row.name for row in plan.new] == ["张三云"]
    roster.apply_import(
        session, plan, skip_invalid=False, exit_missing=False, at=at, actor=ACTOR, tz=settings.tz
    )
    (card,) = card_services.issue_all(session, at=at, actor=ACTOR)
    ledger.adjust(
        session,
        card.account_id,
        Money.parse("50.00"),
        reason="测试",
        at=at,
        tz=settings.tz,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    rice = create_product(
        session,
        barcode="6901234567892",
        name="东北大米",
        unit="袋",
        list_price=Money.parse("10.00"),
        discount_rate=Decimal("0.05"),
        at=at,
        actor=ACTOR,
        settings=settings,
    )
    record_movement(session, rice, Decimal(5), "receipt", at=at, actor=ACTOR)
    session.commit()
    assert session.scalar(select(Beneficiary.name)) == "张三云"
    session.rollback()

    answer = api(Role.CASHIER).post(
        "/api/v1/sales",
        json={
            "client_ref": str(uuid.uuid4()),
            "card_no": card.card_no,
            "lines": [{"barcode": rice.barcode, "qty": 1}],
            "payments": [{"method": "card", "amount": "9.50"}],
        },
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["holder"] == "张*云"

    session.rollback()  # end the read snapshot: see what the app committed
    sale = get_sale(session, answer.get_json()["sale_no"])
    receipt = sale_receipt(session, sale, settings=settings, at=clock(), allowance=None)
    printed = "\n".join(layout_receipt(receipt, width=48, tz=settings.tz).lines())
    assert "持卡人：张*云" in printed
    assert not any(c in printed for c in "\u202e\u200b\u2069")
    session.rollback()
