"""Upgrading a store that has data to the access revisions (kernel_0300_sessions,
pos_0500_sale_numbers) loses nothing: its staff, its live tokens, its sales and their numbers;
the sale counters start above the numbers a day already has."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import select, text

from core.auth import digest, resolve_token
from core.db import Database
from pos import migrate
from pos.models import SaleCounter
from pos.services.numbering import next_sale_number

BEFORE = ("0002_kernel_audit", "pos_0200")


def _insert_old_data(db: Database, at: datetime) -> None:
    with db.engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO staff_user (id, username, display_name, role, password_hash, active,"
                " failed_logins, created_at) VALUES (1, 'wang', '小王', 'cashier', 'x', 1, 0, :at)"
            ),
            {"at": at},
        )
        c.execute(
            text(
                "INSERT INTO api_token (token_hash, user_id, created_at, expires_at)"
                " VALUES (:hash, 1, :at, :until)"
            ),
            {"hash": digest("old-token"), "at": at, "until": at + timedelta(hours=12)},
        )
        c.execute(
            text(
                "INSERT INTO shift (id, terminal, cashier_id, cashier_name, status, opened_at,"
                " opening_float_fen, variance_reason) VALUES (1, '01', 1, '小王', 'open', :at, 0, '')"
            ),
            {"at": at},
        )
        for n, sale_no in enumerate(
            ("20261128-01-000003", "20261129-01-000007", "20261129-01-000012", "20261129-02-000009")
        ):
            c.execute(
                text(
                    "INSERT INTO sale (sale_no, client_ref, shift_id, terminal, at, actor_id,"
                    " actor_name, list_total_fen, discount_total_fen, total_fen, paid_card_fen,"
                    " paid_cash_fen, change_fen, clothing_items)"
                    " VALUES (:no, :ref, 1, :t, :at, 1, 'wang', 100, 0, 100, 0, 100, 0, 0)"
                ),
                {"no": sale_no, "ref": f"ref-{n}", "t": sale_no[9:11], "at": at},
            )


def test_upgrade_with_data_loses_nothing(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = migrate.alembic_config(db.engine)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        for revision in BEFORE:
            command.upgrade(config, revision)
    at = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    _insert_old_data(db, at)

    migrate.upgrade(db.engine)
    assert migrate.is_current(db.engine)
    with db.session() as session:
        assert session.execute(text("SELECT count(*) FROM sale")).scalar_one() == 4
        hashes = session.execute(text("SELECT request_hash FROM sale")).scalars().all()
        assert hashes == [None] * 4
        # a token made before sessions were kept still works until it expires
        assert resolve_token(session, "old-token", at=at + timedelta(hours=1)).username == "wang"
        counters = {(c.terminal, c.day): c.last_no for c in session.scalars(select(SaleCounter))}
        assert counters == {
            ("01", date(2026, 11, 28)): 3,
            ("01", date(2026, 11, 29)): 12,
            ("02", date(2026, 11, 29)): 9,
        }
        # the day's next number is above every number it already has
        assert next_sale_number(session, "01", date(2026, 11, 29)) == 13
        session.rollback()
    db.dispose()
