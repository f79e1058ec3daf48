"""Upgrading a store whose ID numbers and phones are in plaintext (the schema before
cards_0500_field_encryption): `charity init`, which holds the key, encrypts every row; then no ID
number is left in the database file or its WAL, and everything still works. Without a key the
upgrade refuses with one line and changes nothing."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError

from cards.models import Beneficiary, Card, CardStatusChange, Proxy
from cards.services import personal
from core.crypto import FieldCipher
from core.db import Database, UTCDateTime
from pos import migrate
from tests.cards.conftest import id_index, id_number_of
from tests.cards.plaintext import ROSTER_GBK, files_under, leaks, roster_rows, secrets_of
from tests.conftest import PG_URL, TEST_KEYS, Cli, FakeClock, cli_ok

FIRST = "cards_0500_field_encryption"
AT = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


def upgrade_to_before_encryption(engine: sa.Engine) -> None:
    """Every branch at its head, except cards: at the revision before the encryption."""
    config = migrate.alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    before = script.get_revision(FIRST).down_revision
    assert isinstance(before, str)
    later = {
        head
        for head in script.get_heads()
        if FIRST in {r.revision for r in script.iterate_revisions(head, "base")}
    }
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, before)
        for head in sorted(set(script.get_heads()) - later):
            command.upgrade(config, head)


def seed_plaintext(engine: sa.Engine) -> list[int]:
    """The bureau's 200 people as the old schema kept them (plaintext numbers and phones),
    each with an account and a card, one card frozen, two proxies; returns the card ids."""
    people = sa.table(
        "beneficiary",
        *(sa.column(c) for c in ("id", "id_number", "name", "category", "status", "phone")),
        *(sa.column(c) for c in ("town", "community", "household_size", "actor_name")),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    accounts = sa.table(
        "account",
        sa.column("id"),
        sa.column("beneficiary_id"),
        sa.column("balance_fen"),
        sa.column("created_at", UTCDateTime()),
    )
    cards = sa.table(
        "card",
        *(sa.column(c) for c in ("id", "card_no", "qr_token", "status", "account_id")),
        *(sa.column(c) for c in ("status_reason", "actor_name")),
        sa.column("issued_at", UTCDateTime()),
        sa.column("status_changed_at", UTCDateTime()),
    )
    proxies = sa.table(
        "beneficiary_proxy",
        *(sa.column(c) for c in ("id", "beneficiary_id", "name", "relation", "phone")),
        sa.column("actor_name"),
        sa.column("created_at", UTCDateTime()),
    )
    rows = roster_rows()
    with engine.begin() as connection:
        connection.execute(
            sa.insert(people),
            [
                {
                    "id": n,
                    "id_number": r.id_number,
                    "name": r.name,
                    "category": r.category,
                    "status": "active",
                    "phone": r.phone,
                    "town": r.town,
                    "community": r.community,
                    "household_size": r.household_size,
                    "actor_name": "old",
                    "created_at": AT,
                    "updated_at": AT,
                }
                for n, r in enumerate(rows, start=1)
            ],
        )
        connection.execute(
            sa.insert(accounts),
            [
                {"id": n, "beneficiary_id": n, "balance_fen": 0, "created_at": AT}
                for n in range(1, len(rows) + 1)
            ],
        )
        connection.execute(
            sa.insert(cards),
            [
                {
                    "id": n,
                    "card_no": f"86{n:013d}0",
                    "qr_token": f"token{n}",
                    "status": "frozen" if n == 1 else "active",
                    "account_id": n,
                    "status_reason": "丢失" if n == 1 else "",
                    "actor_name": "old",
                    "issued_at": AT,
                    "status_changed_at": AT if n == 1 else None,
                }
                for n in range(1, len(rows) + 1)
            ],
        )
        connection.execute(
            sa.insert(proxies),
            [
                {
                    "id": 1,
                    "beneficiary_id": 1,
                    "name": "张小云",
                    "relation": "女儿",
                    "phone": "139-0000-1111",
                    "actor_name": "old",
                    "created_at": AT,
                },
                {
                    "id": 2,
                    "beneficiary_id": 2,
                    "name": "李强",
                    "relation": "儿子",
                    "phone": "",
                    "actor_name": "old",
                    "created_at": AT,
                },
            ],
        )
    return list(range(1, len(rows) + 1))


@pytest.fixture
def old_store(tmp_path: Path) -> Iterator[Database]:
    """A SQLite store on the schema before the encryption, with the bureau's people in it."""
    db = Database(f"sqlite:///{tmp_path / 'store' / 'charity.db'}")
    upgrade_to_before_encryption(db.engine)
    seed_plaintext(db.engine)
    yield db
    db.dispose()


def _cli(settings, db: Database, **security: str) -> Cli:
    overrides = settings.with_overrides(database={"url": db.url}, security=security or {})
    return Cli(overrides, db, FakeClock(AT))


def test_init_without_a_key_refuses_and_changes_nothing(old_store, settings) -> None:
    before = migrate.current_heads(old_store.engine)
    result = _cli(settings, old_store, data_key="")("init")
    assert result.exit_code == 1
    message = result.output.strip()
    assert len(message.splitlines()) == 1 and "data_key" in message and "200 名" in message
    assert "Traceback" not in result.output
    assert migrate.current_heads(old_store.engine) == before
    with old_store.engine.connect() as connection:
        kept = connection.scalar(sa.text("SELECT count(*) FROM beneficiary WHERE id_number <> ''"))
    assert kept == 200


def test_init_encrypts_every_row_and_everything_still_works(old_store, settings) -> None:
    cli = _cli(settings, old_store)
    done = cli_ok(cli("init"))
    assert "已加密 200 名救助对象的身份证号与电话、1 名代领人的电话" in done
    rows = roster_rows()
    folder = Path(old_store.engine.url.database or "").parent
    found = leaks(files_under(folder), secrets_of(rows))
    assert found == [], found[:5]
    assert migrate.is_current(old_store.engine) and migrate.pending_diff(old_store.engine) == []

    cipher = FieldCipher(TEST_KEYS)
    with old_store.session(write=False) as session:
        people = session.scalars(select_people()).all()
        assert len(people) == 200
        assert sorted(id_number_of(p) for p in people) == sorted(r.id_number for r in rows)
        first = session.get(Beneficiary, 1)
        assert first is not None
        assert personal.phone_of(cipher, first) == rows[0].phone
        assert first.id_number_index == id_index(rows[0].id_number)
        proxy = session.get(Proxy, 1)
        assert proxy is not None and personal.proxy_phone_of(cipher, proxy) == "13900001111"
        second = session.get(Proxy, 2)
        assert second is not None and personal.proxy_phone_of(cipher, second) == ""
        frozen = session.get(Card, 1)
        assert frozen is not None
        history = [(h.from_status, h.to_status, h.reason) for h in frozen.status_changes]
        assert history == [(None, "active", "发卡"), ("active", "frozen", "丢失")]
        assert session.scalar(sa.select(sa.func.count()).select_from(CardStatusChange)) == 201

    # the same people are recognised by a re-import of the bureau's roster
    preview = cli_ok(cli("beneficiaries", "import", str(ROSTER_GBK)))
    assert "新增 0 人，信息变更 0 人" in preview and "无变化 200 人" in preview
    # duplicates: the database itself refuses a second person with the same number
    with old_store.session() as session:
        session.add(
            Beneficiary(
                **personal.id_columns(cipher, rows[5].id_number),
                name="重复",
                category="低保",
                created_at=AT,
                updated_at=AT,
            )
        )
        with pytest.raises(IntegrityError):
            session.flush()
    # set-status by ID number, and the bureau's list with full numbers
    out = cli_ok(
        cli("beneficiaries", "set-status", rows[3].id_number, "suspended", "--reason", "复核")
    )
    assert rows[3].name in out and rows[3].id_number not in out
    listing = list(csv.DictReader(io.StringIO(cli_ok(cli("cards", "list", "--format", "csv")))))
    assert sorted(r["id_number"] for r in listing) == sorted(r.id_number for r in rows)
    # and still nothing in the files after all that (the WAL holds the new pages)
    assert leaks(files_under(folder), secrets_of(rows)) == []


def test_upgrade_with_data_on_postgres(settings, postgres_only) -> None:
    """The same upgrade on a PostgreSQL database of its own: columns, constraints, data."""
    name = f"h11a_upgrade_{os.getpid()}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        connection.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    try:
        upgrade_to_before_encryption(db.engine)
        seed_plaintext(db.engine)
        cli_ok(_cli(settings, db)("init"))
        assert migrate.pending_diff(db.engine) == []
        with db.engine.connect() as connection:
            columns = {c["name"] for c in sa.inspect(connection).get_columns("beneficiary")}
            assert "id_number" not in columns and "phone" not in columns
        with db.session(write=False) as session:
            people = session.scalars(select_people()).all()
            numbers = sorted(id_number_of(p) for p in people)
        assert numbers == sorted(r.id_number for r in roster_rows())
    finally:
        db.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


def select_people() -> sa.Select[tuple[Beneficiary]]:
    return sa.select(Beneficiary).order_by(Beneficiary.id)


def test_the_backfilled_history_dates_are_kept(old_store, settings) -> None:
    cli_ok(_cli(settings, old_store)("init"))
    with old_store.session(write=False) as session:
        changes = session.scalars(
            sa.select(CardStatusChange).where(CardStatusChange.card_id == 1)
        ).all()
    assert [c.at for c in changes] == [AT, AT]
    assert changes[1].actor_name == "old" and changes[0].actor_name == ""
    assert date(2026, 11, 1) == changes[0].at.date()
