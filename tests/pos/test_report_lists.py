"""`charity report dormant` (the outreach list) and `charity report stock` (stock valuation), as
the contract names their options and csv columns."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from cards.models import Beneficiary
from core import audit
from core.auth import Actor, Role, StaffUser
from core.db import Database
from core.money import Money
from core.stores import add_store
from inventory.services.stock import record_movement
from pos.app import build_hooks
from pos.services import checkout, dormant
from tests.conftest import TEST_KEYS, Cli, FakeClock
from tests.pos.conftest import ACTOR, Store


def _sell(database: Database, store: Store, actor: Actor, clock: FakeClock, ref: str) -> None:
    with database.transaction() as session:
        request = checkout.SaleRequest(
            client_ref=ref,
            lines=[checkout.LineRequest(store.rice.barcode)],
            card_no=store.card.card_no,
            paid_card=Money.parse("9.50"),
        )
        checkout.checkout(
            session,
            request,
            at=clock(),
            actor=actor,
            terminal="01",
            settings=store.settings,
            allowance=build_hooks(store.settings).clothing_allowance,
            keys=TEST_KEYS,
        )


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_dormant_lists_who_has_not_shopped_for_n_months(
    cli: Cli,
    database: Database,
    store: Store,
    clock: FakeClock,
    make_user: Callable[..., StaffUser],
) -> None:
    bought_at = clock()
    _sell(database, store, Actor.of(make_user(Role.CASHIER)), clock, "d-1")
    result = cli("report", "dormant", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = _csv(result.output)
    # 张三云 shopped just now; 李四 never did.
    assert [r["name"] for r in rows] == ["李四"]
    assert list(rows[0]) == list(dormant.CSV_COLUMNS)
    assert rows[0]["last_purchase"] == "" and rows[0]["balance"] == "0.00"

    clock.advance(days=75)  # more than two months later: both are on the list, full names
    rows = _csv(cli("report", "dormant", "--format", "csv").output)
    assert [r["name"] for r in rows] == ["李四", "张三云"]
    shopper = rows[1]
    assert shopper["card_no"] == store.card.card_no
    assert shopper["last_purchase"] == bought_at.astimezone(store.settings.tz).date().isoformat()
    assert shopper["balance"] == "40.50" and shopper["category"] == "低保"
    # ... but not within three months
    rows = _csv(cli("report", "dormant", "--months", "3", "--format", "csv").output)
    assert [r["name"] for r in rows] == ["李四"]

    table = cli("report", "dormant", "--months", "2")
    assert table.exit_code == 0 and "张三云" in table.output and "共 2 人" in table.output
    with database.session() as session:
        subjects = session.scalars(
            select(audit.AuditEvent.subject).where(audit.AuditEvent.kind == "export")
        ).all()
        assert list(subjects) == ["report dormant"] * 3


def test_dormant_leaves_out_people_no_longer_on_the_roster_and_refuses_bad_months(
    cli: Cli, database: Database, store: Store
) -> None:
    with database.transaction() as session:
        person = session.scalar(select(Beneficiary).where(Beneficiary.name == "李四"))
        assert person is not None
        person.status = "exited"
    rows = _csv(cli("report", "dormant", "--format", "csv").output)
    assert [r["name"] for r in rows] == ["张三云"]
    bad = cli("report", "dormant", "--months", "0")
    assert bad.exit_code != 0 and "Traceback" not in bad.output


def test_months_before_keeps_the_day_or_the_months_end() -> None:
    from datetime import date

    assert dormant.months_before(date(2026, 12, 1), 2) == date(2026, 10, 1)
    assert dormant.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert dormant.months_before(date(2026, 1, 15), 2) == date(2025, 11, 15)


def test_stock_values_each_product_at_cost_and_list_price(
    cli: Cli, database: Database, store: Store, clock: FakeClock
) -> None:
    with database.transaction() as session:
        add_store(session, "01", name="惠济区慈善超市", at=clock())
        rice = session.merge(store.rice)
        clock.advance(minutes=1)
        record_movement(
            session,
            rice,
            Decimal(10),
            "receipt",
            at=clock(),
            actor=ACTOR,
            unit_cost=Money.parse("7.00"),
        )
        clock.advance(minutes=1)
        record_movement(
            session,
            rice,
            Decimal(2),
            "receipt",
            at=clock(),
            actor=ACTOR,
            unit_cost=Money.parse("8.00"),
        )
    result = cli("report", "stock", "--store", "01", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = {r["barcode"]: r for r in _csv(result.output)}
    assert list(next(iter(rows.values()))) == [
        "barcode",
        "name",
        "stock",
        "cost_value",
        "list_value",
    ]
    rice_row = rows[store.rice.barcode]
    # 20 + 10 + 2 bags: at the latest purchase cost 8.00, at the list price 10.00
    assert Decimal(rice_row["stock"]) == 32
    assert (rice_row["cost_value"], rice_row["list_value"]) == ("256.00", "320.00")
    oil = rows[store.oil.barcode]
    assert oil["cost_value"] == "0.00" and oil["list_value"] == "606.00"  # never bought at a cost
    table = cli("report", "stock")
    assert table.exit_code == 0 and "不分门店" in table.output and "320.00" in table.output


def test_stock_refuses_an_unknown_store(cli: Cli, store: Store) -> None:
    result = cli("report", "stock", "--store", "09")
    assert result.exit_code == 1 and "门店 09 不存在" in result.output
