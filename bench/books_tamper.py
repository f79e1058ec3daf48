"""The tampering cases of bench/bench_books.py (issue [10]): an insider who can write the
database file (the append-only triggers dropped) edits the books; `ledger verify` must fail.
Each case runs on its own copy of the SQLite file, so the store itself stays clean."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from cards.hooks import CardsHooks
from cards.services import chain, topup
from cards.services.seals import current_seal, parse_seal
from core.auth import Actor
from core.config import Settings
from core.db import Database
from core.keys import DataKeys, new_key_text
from core.periods import Month
from pos.services.verify import closed_months_check, verify_all

OTHER_KEYS = DataKeys.from_text(new_key_text())  # not the store's: what an insider lacks


@dataclass(frozen=True)
class Books:
    """What a verify needs: the store's settings, its hooks and its keys."""

    settings: Settings
    hooks: CardsHooks
    keys: DataKeys


def verify(db: Database, books: Books, seals: list[str] | tuple[str, ...] = ()) -> list[str]:
    """`charity ledger verify [--seal ...]` as the command line runs it: the problems found."""
    with db.session(write=False) as session:
        problems, _ = verify_all(
            session,
            books.keys,
            seals=[parse_seal(seal) for seal in seals],
            extra_checks=[closed_months_check(books.settings, books.hooks)],
        )
    return problems


@contextmanager
def insider(db: Database) -> Iterator[Connection]:
    """A connection on which the append-only triggers do not fire, committed at the end."""
    with db.engine.begin() as connection:
        if db.dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            names = connection.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name in names:
                connection.execute(text(f'DROP TRIGGER "{name}"'))
        yield connection


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included)."""
    target.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _card_sale(c: Connection, *, fen: int) -> str:
    """A December card sale paid by card alone, of at least `fen`."""
    return str(
        c.execute(
            text(
                "SELECT sale_no FROM sale WHERE paid_card_fen >= :f AND paid_cash_fen = 0 "
                "AND change_fen = 0 AND sale_no LIKE '202612%' ORDER BY id DESC LIMIT 1"
            ),
            {"f": fen},
        ).scalar_one()
    )


def delete_last_txn(db: Database, books: Books) -> tuple[str, list[str]]:
    """The last transaction (a small adjustment) deleted with its adjustment row, the wallets it
    moved restored, the head rewound: the books add up; the seal taken before does not hold."""
    with db.session(write=False) as session:
        seal = str(current_seal(session))
    with insider(db) as c:
        last = c.execute(
            text("SELECT id, seq, prev_hash, chain FROM ledger_txn ORDER BY seq DESC LIMIT 1")
        ).one()
        moved = c.execute(
            text(
                "SELECT account_id, amount_fen FROM ledger_posting "
                "WHERE txn_id = :t AND account_id IS NOT NULL"
            ),
            {"t": last.id},
        ).all()
        for account_id, amount in moved:
            c.execute(
                text("UPDATE account SET balance_fen = balance_fen - :a WHERE id = :i"),
                {"a": amount, "i": account_id},
            )
        c.execute(text("DELETE FROM adjustment WHERE txn_id = :t"), {"t": last.id})
        c.execute(text("DELETE FROM ledger_posting WHERE txn_id = :t"), {"t": last.id})
        c.execute(text("DELETE FROM ledger_txn WHERE id = :t"), {"t": last.id})
        c.execute(
            text("UPDATE ledger_head SET seq = :s, hash = :h WHERE chain = :c"),
            {"s": last.seq - 1, "h": last.prev_hash, "c": last.chain},
        )
    unsealed = verify(db, books)
    note = f"（不带封印核对：{'通过' if not unsealed else f'{len(unsealed)} 处问题'}）"
    return f"删除最后一笔交易并回退链头，用此前的封印 {seal} 核对{note}", [seal]


def rehash_purchase(db: Database, books: Books) -> tuple[str, list[str]]:
    """A card purchase made 1.00, the wallet made to agree, every hash recomputed with the
    project's own function under another key."""
    with insider(db) as c:
        sale_no = _card_sale(c, fen=200)
        row = c.execute(
            text("SELECT ledger_txn_id, account_id, paid_card_fen FROM sale WHERE sale_no = :n"),
            {"n": sale_no},
        ).one()
        c.execute(
            text(
                "UPDATE ledger_posting SET amount_fen = "
                "CASE WHEN amount_fen < 0 THEN -100 ELSE 100 END WHERE txn_id = :t"
            ),
            {"t": row.ledger_txn_id},
        )
        c.execute(
            text("UPDATE account SET balance_fen = balance_fen + :d WHERE id = :a"),
            {"d": row.paid_card_fen - 100, "a": row.account_id},
        )
        with Session(bind=c) as forger:
            for name in chain.chains(forger):
                chain._rehash(forger, OTHER_KEYS, chain=name)
            forger.flush()
    return f"销售单 {sale_no} 的卡支付改为 1.00，余额随之改好，用另一把密钥重算全部哈希", []


def edit_sale_total(db: Database, books: Books) -> tuple[str, list[str]]:
    """A card sale's total and card tender edited down by 1.00 (the ledger left alone)."""
    with insider(db) as c:
        sale_no = _card_sale(c, fen=200)
        c.execute(
            text(
                "UPDATE sale SET total_fen = total_fen - 100, paid_card_fen = paid_card_fen - 100 "
                "WHERE sale_no = :n"
            ),
            {"n": sale_no},
        )
    return f"销售单 {sale_no} 的合计与卡支付各改少 1.00", []


def second_topup_credit(db: Database, books: Books) -> tuple[str, list[str]]:
    """D3: one account's row of topup_credit for 2027-01 deleted, then `charity topup 2027-01`
    run again: it credits the account a second time."""
    with insider(db) as c:
        account = c.execute(
            text("SELECT account_id FROM topup_credit WHERE month = '2027-01' LIMIT 1")
        ).scalar_one()
        c.execute(
            text("DELETE FROM topup_credit WHERE account_id = :a AND month = '2027-01'"),
            {"a": account},
        )
    at = datetime(2027, 1, 2, 9, tzinfo=books.settings.tz)
    with db.transaction() as session:
        outcome = topup.run_topup(
            session, books.settings, Month(2027, 1), at=at, actor=Actor.system("bench"),
            keys=books.keys,
        )  # fmt: skip
        credited = 0 if outcome.run is None else outcome.run.people
    return f"删除账户 {account} 的 2027-01 充值登记，再次充值（又入账 {credited} 人）", []


def move_category(db: Database, books: Books) -> tuple[str, list[str]]:
    """A November purchase's wallet posting re-filed under another roster category (what would
    restate a closed month by category)."""
    with insider(db) as c:
        sale_no = str(
            c.execute(
                text(
                    "SELECT sale_no FROM sale WHERE paid_card_fen > 0 AND sale_no LIKE '202611%' "
                    "ORDER BY id LIMIT 1"
                )
            ).scalar_one()
        )
        c.execute(
            text(
                "UPDATE ledger_posting SET category = CASE WHEN category = '特困' THEN '低保' "
                "ELSE '特困' END WHERE account_id IS NOT NULL AND txn_id = "
                "(SELECT ledger_txn_id FROM sale WHERE sale_no = :n)"
            ),
            {"n": sale_no},
        )
    return f"11 月销售单 {sale_no} 的钱包分录改记到另一类别", []


Case = Callable[[Database, Books], tuple[str, list[str]]]
CASES: tuple[tuple[str, Case], ...] = (
    ("delete the last txn, rewind the head", delete_last_txn),
    ("edit a purchase, rehash under another key", rehash_purchase),
    ("edit a sale total", edit_sale_total),
    ("delete a topup_credit, credit again", second_topup_credit),
    ("move a posting to another category", move_category),
)


@dataclass(frozen=True)
class Caught:
    name: str
    what: str
    problems: list[str]
    seconds: float


def run_case(source: Path, folder: Path, name: str, case: Case, books: Books) -> Caught:
    """`case` on a fresh copy of the store, then verify (with the seals the case names)."""
    copy = folder / f"tamper_{CASES.index((name, case))}.db"
    copy_sqlite(source, copy)
    db = Database(f"sqlite:///{copy}")
    try:
        t = time.perf_counter()
        what, seals = case(db, books)
        problems = verify(db, books, seals)
        return Caught(name, what, problems, time.perf_counter() - t)
    finally:
        db.dispose()
        copy.unlink(missing_ok=True)
