"""The qr tender's migration on a store with sales: down to the schema before it and up again
keeps every sale and refund (SQLite rebuilds the sale table to change its balance check)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from core.auth import Role
from core.db import Database
from core.db_migrations import outside_transaction
from pos import migrate
from tests.pos.conftest import Store


def test_sales_survive_the_qr_tender_migration_both_ways(
    api: Any, store: Store, database: Database
) -> None:
    if database.dialect != "sqlite":
        pytest.skip("rebuilding tables is SQLite's way; PostgreSQL alters the check in place")
    sale = {
        "client_ref": str(uuid.uuid4()),
        "card_no": store.card.card_no,
        "lines": [{"barcode": store.rice.barcode, "qty": 2}],
        "payments": [{"method": "card", "amount": "19.00"}],
    }
    sold = api(Role.CASHIER).post("/api/v1/sales", json=sale).get_json()
    refund = api(Role.SUPERVISOR).post(
        f"/api/v1/sales/{sold['sale_no']}/refund", json={"reason": "测试"}
    )
    assert refund.status_code == 201
    database.dispose()
    engine = database.engine
    config = migrate.alembic_config(engine)
    with engine.connect() as connection:
        outside_transaction(connection, "PRAGMA foreign_keys=OFF")  # as `migrate.upgrade`
        with connection.begin():
            config.attributes["connection"] = connection
            command.downgrade(config, "pos_0500_sale_numbers")
    with engine.connect() as connection:
        columns = [row[1] for row in connection.exec_driver_sql("PRAGMA table_info(sale)")]
        assert "paid_qr_fen" not in columns
        assert connection.scalar(text("SELECT count(*) FROM sale")) == 1
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT sale_no, total_fen, paid_card_fen, paid_qr_fen, qr_reference FROM sale")
        ).one()
        assert tuple(row) == (sold["sale_no"], 1900, 1900, 0, "")
        assert connection.scalar(text("SELECT qr_fen FROM refund")) == 0
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
