"""The data sets of bench/run.py, built with the project's own services: a roster (UTF-8 csv, GBK
csv, xlsx), people imported, cards issued, months of top-ups until the ledger holds the postings
asked for, products in stock and a cashier."""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))

from bench_cards import make_roster
from harness import BENCH_KEYS, Template

from cards.models import Card, Posting
from cards.services import cards as card_services
from cards.services import roster, topup
from core.auth import Actor, Role, add_user
from core.config import Settings
from core.db import Database
from core.money import Money
from core.periods import Month
from inventory.services.products import create_product
from inventory.services.stock import record_movement
from pos import migrate

ACTOR = Actor.system("bench")
AT = datetime(2026, 1, 2, 2, 0, tzinfo=UTC)
PRODUCTS = 50


def ean13(i: int) -> str:
    body = f"690{i:09d}"
    total = sum(int(d) * (3 if k % 2 else 1) for k, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def month_at(month: Month) -> datetime:
    return datetime(month.year, month.month, 2, 2, 0, tzinfo=UTC)


@dataclass
class DataSet:
    folder: Path
    people: int
    settings: Settings
    csv_utf8: Path
    csv_gbk: Path
    xlsx: Path
    empty: Template  # migrated, nothing in it
    with_people: Template  # the roster imported
    with_cards: Template  # and a card each
    with_ledger: Template  # and months of top-ups, products, a cashier
    postings: int
    months: list[Month]
    barcodes: list[str]
    cashier_id: int
    card_nos: list[str]
    tokens: list[str]


def write_rosters(folder: Path, people: int) -> tuple[Path, Path, Path]:
    utf8 = folder / f"roster_{people}.csv"
    make_roster(utf8, people)
    text = utf8.read_text(encoding="utf-8-sig")
    gbk = folder / f"roster_{people}_gbk.csv"
    gbk.write_bytes(text.encode("gbk"))
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("名单")
    for row in csv.reader(io.StringIO(text)):
        sheet.append(row)
    xlsx = folder / f"roster_{people}.xlsx"
    book.save(xlsx)
    return utf8, gbk, xlsx


def import_roster(db: Database, settings: Settings, path: Path, at: datetime) -> None:
    with db.transaction() as session:
        plan = roster.plan_import(
            session,
            path.read_bytes(),
            path.name,
            keys=BENCH_KEYS,
            categories=settings.allowance.categories,
            at=at,
            tz=settings.tz,
        )
        assert not plan.errors, plan.errors[:3]
        roster.apply_import(
            session,
            plan,
            skip_invalid=False,
            exit_missing=False,
            at=at,
            actor=ACTOR,
            tz=settings.tz,
        )


def build(folder: Path, people: int, postings: int, log: object = print) -> DataSet:
    say = log if callable(log) else print
    settings = Settings()
    utf8, gbk, xlsx = write_rosters(folder, people)
    empty = Template(folder, "empty")
    db = Database(empty.url())
    migrate.upgrade(db.engine)
    empty.save_from(db)

    with_people = Template(folder, "people")
    with_people.path.write_bytes(empty.path.read_bytes())
    db = Database(with_people.url())
    import_roster(db, settings, utf8, AT)
    with_people.save_from(db)
    say(f"  {people} people imported")

    with_cards = Template(folder, "cards")
    with_cards.path.write_bytes(with_people.path.read_bytes())
    db = Database(with_cards.url())
    with db.transaction() as session:
        card_services.issue_all(session, at=AT, actor=ACTOR)
    with_cards.save_from(db)
    say(f"  {people} cards issued")

    with_ledger = Template(folder, "ledger")
    with_ledger.path.write_bytes(with_cards.path.read_bytes())
    db = Database(with_ledger.url())
    months: list[Month] = []
    month = Month(2026, 1)
    count = 0
    while count < postings and len(months) < 120:
        with db.transaction() as session:
            topup.run_topup(
                session, settings, month, at=month_at(month), actor=ACTOR, keys=BENCH_KEYS
            )
            count = session.scalar(select(func.count()).select_from(Posting)) or 0
        months.append(month)
        month = month.next()
    say(f"  {len(months)} months of top-ups: {count} postings")
    last = month_at(months[-1])
    with db.transaction() as session:
        barcodes = []
        for i in range(PRODUCTS):
            product = create_product(
                session, barcode=ean13(i), name=f"商品{i}", unit="袋",
                list_price=Money(100 + i * 7 % 500), discount_rate=Decimal("0.05"),
                at=last, actor=ACTOR, settings=settings,
            )  # fmt: skip
            record_movement(session, product, Decimal(1_000_000), "receipt", at=last, actor=ACTOR)
            barcodes.append(product.barcode)
        cashier = add_user(session, "bench_till", "password123", Role.CASHIER, at=last)
        session.flush()
        cashier_id = cashier.id
        cards = session.scalars(select(Card).where(Card.status == "active").order_by(Card.id)).all()
        card_nos = [c.card_no for c in cards]
        tokens = [c.qr_token for c in cards]
    with_ledger.save_from(db)
    return DataSet(
        folder, people, settings, utf8, gbk, xlsx, empty, with_people, with_cards, with_ledger,
        count, months, barcodes, cashier_id, card_nos, tokens,
    )  # fmt: skip
