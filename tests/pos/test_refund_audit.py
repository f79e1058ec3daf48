"""Refunds and voids in the audit log: who, which sale, what went back to which tender, from
which address; a refused refund logs nothing."""

from __future__ import annotations

from sqlalchemy import select

from core.audit import AuditEvent
from core.auth import Role
from tests.pos.test_checkout import card, cash, sale


def _refunds(session) -> list[AuditEvent]:
    session.rollback()
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "refund").order_by(AuditEvent.id)
        )
    )


def test_refund_and_void_are_logged_by_the_supervisor(api, store, session) -> None:
    cashier, supervisor = api(Role.CASHIER), api(Role.SUPERVISOR)
    bodies = (
        sale([{"barcode": store.rice.barcode, "qty": 2}], [card("19.00")], store.card.card_no),
        sale([{"barcode": store.rice.barcode, "qty": 1}], [cash("9.50")], store.card.card_no),
    )
    first, second = (cashier.post("/api/v1/sales", json=b).get_json()["sale_no"] for b in bodies)
    denied = cashier.post(f"/api/v1/sales/{first}/refund", json={"reason": "顾客退货"})
    assert denied.status_code == 403
    answer = supervisor.post(
        f"/api/v1/sales/{first}/refund",
        json={"reason": "包装破损", "lines": [{"barcode": store.rice.barcode, "qty": 1}]},
    )
    assert answer.status_code == 201, answer.get_json()
    voided = supervisor.post(
        f"/api/v1/sales/{second}/refund", json={"reason": "录错", "void": True}
    )
    assert voided.status_code == 201, voided.get_json()
    again = supervisor.post(f"/api/v1/sales/{second}/refund", json={"reason": "再退"})
    assert again.status_code == 409  # nothing left to refund: refused, not logged
    events = _refunds(session)
    assert [(e.subject, e.actor_name) for e in events] == [
        (f"sale:{first}", events[0].actor_name),
        (f"sale:{second}", events[0].actor_name),
    ]
    assert events[0].actor_name.startswith("supervisor")
    assert '"card": "9.50"' in events[0].detail and '"kind": "refund"' in events[0].detail
    assert '"cash": "9.50"' in events[1].detail and '"kind": "void"' in events[1].detail
    assert all(e.address == "127.0.0.1" for e in events)
