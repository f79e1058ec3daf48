"""Issue [11]'s "done when": every event kind of the contract appears in `charity audit` after a
scripted day, driven only through the public interface (the command line, the JSON API and the
pages): staff added, sign-ins good and bad, sign-out, a password change, a roster import, cards
issued, a two-person top-up, a sale and a supervised refund, an adjustment above the limit
approved by a second bureau user, a card frozen and replaced, a status change, a price change, an
ID number revealed on the person page, an export, an account disabled and the month closed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from cards.models import Account, Card, TopUpRun
from core.audit import AUDIT_KINDS
from core.auth import StaffUser
from core.money import Money
from tests.conftest import cli_ok, shanghai

DATA = Path(__file__).resolve().parent.parent / "data"
PRODUCTS = (
    Path(__file__).resolve().parent.parent.parent / "inventory" / "demo_data" / "products.csv"
)
PASSWORD = "Day-shift-pass-2026"
NEW_PASSWORD = "Cashier-new-pass-2026"  # what the admin sets for cashier1
OIL = "6985430337657"  # 鲁花菜籽油 in the demo catalog


@pytest.fixture
def settings(settings):
    return settings.with_overrides(
        allowance={"approval": "two_person", "adjustment_limit": "100.00"},
        security={"idle_minutes": 24 * 60},
    )


def _sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> int:
    return client.post("/", data={"username": username, "password": password}).status_code


def _token(client: FlaskClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/v1/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def _user_id(session: Any, username: str) -> int:
    session.rollback()
    user = session.scalar(select(StaffUser).where(StaffUser.username == username))
    assert user is not None, username
    return int(user.id)


def _staff_morning(cli: Any, client: FlaskClient, session: Any) -> None:
    """The admin is made on the command line, signs in (once wrongly), adds the day's staff on
    the admin page, sets a new password for one of them and signs out."""
    cli_ok(cli("user", "add", "admin1", "--role", "admin", "--password-stdin", input=PASSWORD))
    assert _sign_in(client, "admin1", "wrong-password-1") == 401  # refused
    assert _sign_in(client, "admin1") == 302
    for name, role in (
        ("bureau1", "bureau"),
        ("bureau2", "bureau"),
        ("cashier1", "cashier"),
        ("super1", "supervisor"),
    ):
        answer = client.post(
            "/admin/staff/",
            data={"username": name, "password": PASSWORD, "password2": PASSWORD, "role": role},
        )
        assert answer.status_code == 302, answer.data
    cashier_id = _user_id(session, "cashier1")
    answer = client.post(
        f"/admin/staff/{cashier_id}/password",
        data={"password": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert answer.status_code == 302
    assert client.post("/logout").status_code == 302


def _two_person_topup(client: FlaskClient, second: FlaskClient, session: Any) -> None:
    """bureau1 prepares November's run on the top-up page; bureau2 approves it."""
    assert _sign_in(client, "bureau1") == 302
    assert _sign_in(second, "bureau2") == 302
    answer = client.post("/cards/topups", data={"month": "2026-11"})
    assert answer.status_code == 302, answer.data
    session.rollback()
    run = session.scalar(select(TopUpRun).order_by(TopUpRun.id.desc()))
    assert run is not None and run.status == "prepared"
    assert second.post(f"/cards/topups/{run.id}/approve").status_code == 302
    session.rollback()
    session.refresh(run)
    assert run.status == "posted", run.status


def _sale_and_refund(client: FlaskClient, card_no: str) -> tuple[str, dict[str, str]]:
    """cashier1 (with the password the admin set) sells on the card; super1 refunds the sale
    and signs out of the API. Returns the sale number and the cashier's still-live token."""
    cashier = _token(client, "cashier1", NEW_PASSWORD)
    supervisor = _token(client, "super1")
    product = client.get(f"/api/v1/products/{OIL}", headers=cashier).get_json()
    price = Money.parse(product["charity_price"])
    answer = client.post(
        "/api/v1/sales",
        headers=cashier,
        json={
            "client_ref": "audit-day-1",
            "card_no": card_no,
            "lines": [{"barcode": OIL, "qty": 1}],
            "payments": [{"method": "card", "amount": str(price)}],
        },
    )
    assert answer.status_code == 201, answer.get_json()
    sale_no = str(answer.get_json()["sale_no"])
    answer = client.post(
        f"/api/v1/sales/{sale_no}/refund", headers=supervisor, json={"reason": "顾客退货"}
    )
    assert answer.status_code == 201, answer.get_json()
    assert client.post("/api/v1/logout", headers=supervisor).status_code in (200, 204)
    return sale_no, cashier


def _adjustment(client: FlaskClient, card_no: str) -> int:
    maker, checker = _token(client, "bureau1"), _token(client, "bureau2")
    made = client.post(
        "/api/v1/adjustments",
        headers=maker,
        json={"card_no": card_no, "amount": "150.00", "reason": "困难补助"},
    ).get_json()
    assert made["status"] == "pending", made
    answer = client.post(f"/api/v1/adjustments/{made['id']}/approve", headers=checker)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "posted"
    return int(made["id"])


def _audit(cli: Any, *args: str) -> list[dict[str, Any]]:
    entries = json.loads(cli_ok(cli("audit", "--format", "json", *args)))
    assert isinstance(entries, list)
    return entries


def test_scripted_day_logs_every_contract_kind(cli, client, app, session, clock):
    clock.set(shanghai(2026, 11, 30, 8))
    second = app.test_client()  # bureau2's browser
    _staff_morning(cli, client, session)

    cli_ok(cli("beneficiaries", "import", str(DATA / "roster.xlsx"), "--commit"))
    cli_ok(cli("cards", "issue", "--all"))
    cli_ok(cli("products", "import", str(PRODUCTS), "--commit"))
    rows = list(csv.DictReader(io.StringIO(cli_ok(cli("cards", "list", "--format", "csv")))))
    first, lost, moved = rows[0], rows[1], rows[2]

    clock.advance(hours=1)
    _two_person_topup(client, second, session)
    sale_no, cashier = _sale_and_refund(client, first["card_no"])
    adjustment_id = _adjustment(client, first["card_no"])

    clock.advance(hours=1)
    cli_ok(cli("cards", "freeze", lost["card_no"], "--reason", "持卡人报失"))
    replaced = cli_ok(cli("cards", "replace", lost["card_no"]))
    cli_ok(
        cli(
            "beneficiaries",
            "set-status",
            moved["id_number"],
            "suspended",
            "--reason",
            "迁出本区，待核实",
        )
    )
    cli_ok(cli("products", "set-price", OIL, "--price", "31.00", "--reason", "进价上涨"))
    session.rollback()
    person_id = session.scalar(
        select(Account.beneficiary_id)
        .join(Card, Card.account_id == Account.id)
        .where(Card.card_no == first["card_no"])
    )
    answer = client.post(f"/cards/people/{person_id}/reveal")  # bureau1's page
    assert answer.status_code == 200
    assert first["id_number"] in answer.get_data(as_text=True)
    moved_id = session.scalar(
        select(Account.beneficiary_id)
        .join(Card, Card.account_id == Account.id)
        .where(Card.card_no == moved["card_no"])
    )
    cli_ok(cli("user", "disable", "cashier1"))
    assert _sign_in(app.test_client(), "cashier1", NEW_PASSWORD) == 401  # refused from now on
    assert client.get(f"/api/v1/cards/{first['card_no']}", headers=cashier).status_code == 401

    clock.set(shanghai(2026, 12, 1, 9))
    cli_ok(cli("month", "close", "2026-11"))

    entries = _audit(cli)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_kind.setdefault(entry["kind"], []).append(entry)
    missing = [kind for kind in AUDIT_KINDS if kind not in by_kind]
    assert not missing, f"kinds never logged: {missing}"
    for (
        kind
    ) in AUDIT_KINDS:  # a refused sign-in has no one signed in: the name tried is its subject
        if kind != "login_failed":
            assert all(entry["actor"] for entry in by_kind[kind]), (kind, by_kind[kind])

    def one(kind: str, **where: Any) -> dict[str, Any]:
        found = [e for e in by_kind[kind] if all(e.get(k) == v for k, v in where.items())]
        assert found, (kind, where, by_kind[kind])
        return found[0]

    assert {e["subject"] for e in by_kind["user_add"]} >= {
        "admin1",
        "bureau1",
        "bureau2",
        "cashier1",
        "super1",
    }
    assert one("user_add", subject="bureau1")["actor"] == "admin1"
    assert one("login_failed", subject="admin1")["address"]
    assert one("login_failed", subject="cashier1")  # disabled, refused
    assert one("login", actor="admin1")["subject"] == "admin1"
    assert one("logout", actor="admin1")["detail"]["via"] == "page"
    assert one("logout", actor="super1")["detail"]["via"] == "api"
    assert one("password_change", subject="cashier1")["actor"] == "admin1"
    assert one("login", actor="cashier1")["detail"]["via"] == "api"
    assert one("user_disable", subject="cashier1")["detail"]["tokens_revoked"] >= 1
    assert one("topup_prepare")["actor"] == "bureau1"
    assert one("topup_approve")["actor"] == "bureau2"
    assert "2026-11" in one("topup_approve")["subject"]
    assert one("refund")["actor"] == "super1"
    assert sale_no in one("refund")["subject"]
    assert one("adjustment")["actor"] == "bureau1"
    assert one("adjustment_approve")["actor"] == "bureau2"
    assert str(adjustment_id) in json.dumps(one("adjustment_approve"), ensure_ascii=False)
    assert one("card_freeze")["subject"] == f"card:{lost['card_no']}"
    new_card = one("card_replace")["subject"].removeprefix("card:")
    assert new_card in replaced and one("card_replace")["detail"]["old_card"] == lost["card_no"]
    assert len(by_kind["card_issue"]) == len(rows)  # a replacement is logged as card_replace
    assert {e["subject"] for e in by_kind["card_issue"]} >= {f"card:{r['card_no']}" for r in rows}
    assert one("status_change")["subject"] == f"beneficiary:{moved_id}"
    assert one("status_change")["detail"]["to"] == "suspended"
    assert one("roster_import")["detail"]["added"] == len(rows)
    assert one("export")["subject"] == "cards list"
    assert one("price_change")["subject"] == f"product:{OIL}"
    assert one("id_reveal")["actor"] == "bureau1"
    assert one("id_reveal")["subject"] == f"beneficiary:{person_id}"
    assert one("month_close")["subject"] == "2026-11"
    # No full ID number anywhere in the log (the reveal and the status change are masked).
    text = json.dumps(entries, ensure_ascii=False)
    assert first["id_number"] not in text and moved["id_number"] not in text

    # The contract's filter: one kind only.
    logins = _audit(cli, "--kind", "login")
    assert logins and {e["kind"] for e in logins} == {"login"}
    assert len(logins) == len(by_kind["login"])
    since = _audit(cli, "--kind", "month_close", "--since", "2026-12-01")
    assert [e["kind"] for e in since] == ["month_close"]
    assert _audit(cli, "--kind", "month_close", "--since", "2026-12-02") == []
    refused = cli("audit", "--kind", "nonsense")
    assert refused.exit_code == 1 and "nonsense" in refused.output
