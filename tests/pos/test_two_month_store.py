"""Issue [10]'s "done when", on a generated two-month store: the 200 people of the bureau's roster,
sales every day of November and December through the API, refunds across the month boundary, a
category change, an expiry (`unspent = "expire"`), adjustments (one small, one approved by a
second bureau user, one rejected), both months closed. Each
statement balances to the fen, `charity ledger verify` passes, and a closed month reads back
identically after later changes. Run with `-s` to see the figures."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cards.models import Beneficiary, Card
from cards.services import month_close
from core.auth import Role
from core.money import Money
from pos.app import build_hooks
from tests.conftest import cli_ok, shanghai

DATA = Path(__file__).resolve().parent.parent / "data"
PRODUCTS = (
    Path(__file__).resolve().parent.parent.parent / "inventory" / "demo_data" / "products.csv"
)


@pytest.fixture
def settings(settings):
    return settings.with_overrides(
        allowance={"unspent": "expire", "expire_after_months": 1},
        security={"idle_minutes": 24 * 60},
    )


def _sell(api, rng, cards, prices, day_sales, refunds_due, refunds_today):
    cashier = api(Role.CASHIER)
    supervisor = api(Role.SUPERVISOR)
    for sale_no in refunds_today:
        answer = supervisor.post(f"/api/v1/sales/{sale_no}/refund", json={"reason": "顾客退货"})
        assert answer.status_code == 201, answer.get_json()
    made = []
    for _ in range(day_sales):
        card_no = rng.choice(cards)
        barcodes = rng.sample(sorted(prices), rng.randint(1, 2))
        lines = [{"barcode": b, "qty": 1} for b in barcodes]
        total = sum(prices[b] for b in barcodes)
        balance = Money.parse(cashier.get(f"/api/v1/cards/{card_no}").get_json()["balance"]).fen
        card_part = min(balance, total)
        payments = [{"method": "card", "amount": str(Money(card_part))}] if card_part else []
        if total > card_part:
            payments.append({"method": "cash", "amount": str(Money(total - card_part))})
        answer = cashier.post(
            "/api/v1/sales",
            json={
                "client_ref": f"gen-{rng.random()}",
                "card_no": card_no,
                "lines": lines,
                "payments": payments,
            },
        )
        assert answer.status_code == 201, answer.get_json()
        made.append(answer.get_json()["sale_no"])
    refunds_due.extend(made[::9])


@pytest.mark.slow
def test_two_month_store_balances_and_closes(api, cli, clock, session, settings, database):
    rng = random.Random(10)
    clock.set(shanghai(2026, 11, 1, 8))
    cli_ok(cli("beneficiaries", "import", str(DATA / "roster.xlsx"), "--commit"))
    cli_ok(cli("cards", "issue", "--all"))
    cli_ok(cli("products", "import", str(PRODUCTS), "--commit"))
    cli_ok(cli("topup", "2026-11"))
    cards = sorted(session.scalars(select(Card.card_no)).all())
    session.rollback()
    cashier = api(Role.CASHIER)
    prices = {}
    for barcode in ("6985430337657", "6915833545335"):
        product = cashier.get(f"/api/v1/products/{barcode}").get_json()
        prices[barcode] = Money.parse(product["charity_price"]).fen
    cli_ok(cli("products", "import", str(PRODUCTS), "--commit"))
    refunds: list[str] = []
    day = date(2026, 11, 1)
    while day <= date(2026, 12, 31):
        clock.set(shanghai(day.year, day.month, day.day, 9))
        if day == date(2026, 12, 1):
            cli_ok(cli("topup", "2026-12"))  # lapses what is left of November first
        due, refunds[:] = list(refunds), []
        _sell(api, rng, cards, prices, 3, refunds, due)
        if day == date(2026, 11, 15):
            person = session.scalar(select(Beneficiary).order_by(Beneficiary.id))
            person.category = "特困" if person.category != "特困" else "低保"
            session.commit()
        if day in (date(2026, 11, 20), date(2026, 12, 10)):
            maker, checker = api(Role.BUREAU), api(Role.BUREAU)
            small = maker.post(
                "/api/v1/adjustments",
                json={"card_no": cards[7], "amount": "20.00", "reason": "补发漏充"},
            )
            assert small.get_json()["status"] == "posted", small.get_json()
            for amount, decision in (("150.00", "approve"), ("500.00", "reject")):
                big = maker.post(
                    "/api/v1/adjustments",
                    json={"card_no": cards[8], "amount": amount, "reason": "困难补助"},
                ).get_json()
                assert big["status"] == "pending", big
                body = {"reason": "金额有误"} if decision == "reject" else None
                answer = checker.post(f"/api/v1/adjustments/{big['id']}/{decision}", json=body)
                assert answer.status_code == 200, answer.get_json()
        if day == date(2026, 12, 2):
            cli_ok(cli("month", "close", "2026-11"))
        day += timedelta(days=1)
    clock.set(shanghai(2027, 1, 1, 9))
    for sale_no in refunds:  # December's last refunds are made in January
        answer = api(Role.SUPERVISOR).post(
            f"/api/v1/sales/{sale_no}/refund", json={"reason": "顾客退货"}
        )
        assert answer.status_code == 201, answer.get_json()
    seal = cli_ok(cli("month", "close", "2026-12"))
    figures = {
        m: json.loads(cli_ok(cli("report", "fund", m, "--format", "json")))
        for m in ("2026-11", "2026-12")
    }
    for month, data in figures.items():
        print(month, json.dumps(data, ensure_ascii=False))
        assert data["balanced"] and data["closed"], month
        assert data["stores"]["01"]["spent"] == data["total"]["spent"]
        assert data["stores"]["01"]["refunded"] == data["total"]["refunded"]
    print(seal)
    nov, dec = figures["2026-11"], figures["2026-12"]
    assert dec["total"]["opening"] == nov["total"]["closing"]
    assert (
        Money.parse(dec["total"]["lapsed"]).fen > 0
        and Money.parse(dec["total"]["refunded"]).fen > 0
    )
    print(cli_ok(cli("ledger", "verify")))
    # later changes restate nothing
    person = session.scalar(select(Beneficiary).order_by(Beneficiary.id.desc()))
    person.category = "优抚"
    session.commit()
    again = json.loads(cli_ok(cli("report", "fund", "2026-11", "--format", "json")))
    assert again == nov
    assert month_close.check_closed_months(session, settings, build_hooks(settings)) == []
    assert month_close.check_closed_months(session, settings) == []
