"""An insider who can write the database (the append-only triggers dropped) edits the books the
way the issue measured; `charity ledger verify` must exit 1 each time. On SQLite and, with
CHARITY_TEST_DATABASE_URL, on PostgreSQL (where the triggers are switched off for the one
connection instead of dropped, so other tests keep them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from cards.models import LedgerHead
from cards.services import chain, ledger
from cards.services.seals import current_seal
from core.auth import Actor, Role
from core.db import Database
from core.keys import DataKeys, new_key_text
from core.money import Money
from tests.conftest import TEST_KEYS, Cli, FakeClock, cli_ok, shanghai
from tests.pos.conftest import Store

OTHER_KEYS = DataKeys.from_text(new_key_text())  # not the store's: what an insider lacks


@contextmanager
def insider(database: Database) -> Iterator[Connection]:
    """A connection on which the append-only triggers do not fire, committed at the end."""
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            names = connection.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            for name in names:
                connection.execute(text(f'DROP TRIGGER "{name}"'))
        yield connection


def sell(api, store: Store, *, card: bool) -> dict:  # type: ignore[no-untyped-def,type-arg]
    body = {
        "client_ref": str(uuid.uuid4()),
        "lines": [{"barcode": store.rice.barcode, "qty": 2}],
        "payments": [{"method": "card", "amount": "19.00"}]
        if card
        else [{"method": "cash", "amount": "20.00"}],
    }
    if card:
        body["card_no"] = store.card.card_no
    answer = api.post("/api/v1/sales", json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()  # type: ignore[no-any-return]


def verify(cli: Cli, *seals: str):  # type: ignore[no-untyped-def]
    args = ["ledger", "verify"]
    for seal in seals:
        args += ["--seal", seal]
    return cli(*args)


def test_a_clean_store_verifies_and_its_current_seal_holds(api, store, cli, session):
    cashier = api(Role.CASHIER)
    sell(cashier, store, card=True)
    sell(cashier, store, card=False)
    session.rollback()
    seal = str(current_seal(session))
    out = cli_ok(verify(cli, seal))
    assert "核对通过" in out and f"封印 {seal}：与账本相符" in out
    assert cli_ok(verify(cli, "0:0000000000000000"))


def test_a_malformed_seal_is_refused_naming_it(store, cli):
    result = verify(cli, "12:xyz")
    assert result.exit_code == 1 and "12:xyz" in result.output and "Traceback" not in result.output


def test_a_seal_from_another_key_does_not_hold(api, store, cli, session):
    sell(api(Role.CASHIER), store, card=True)
    session.rollback()
    seal = current_seal(session)
    result = verify(cli, f"{seal.seq}:{'0' * 16}")
    assert result.exit_code == 1 and "与账本不符" in result.output


def test_a_deleted_last_transaction_with_the_head_rewound_breaks_the_seal(
    store, cli, session, database, clock
):
    """(a) The last transaction (an adjustment) deleted, its wallet restored, the head rewound:
    the books add up again and the chain holds, but the seal taken before does not."""
    account = store.card.account_id
    ledger.adjust(
        session,
        account,
        Money.parse("20.00"),
        reason="x",
        at=clock(),
        tz=store.settings.tz,
        actor=Actor(None, "bureau"),
        keys=TEST_KEYS,
    )
    session.commit()
    seal = str(current_seal(session))
    with insider(database) as connection:
        last = connection.execute(
            text("SELECT id, seq, prev_hash FROM ledger_txn ORDER BY seq DESC LIMIT 1")
        ).one()
        connection.execute(text("DELETE FROM ledger_posting WHERE txn_id = :t"), {"t": last.id})
        connection.execute(text("DELETE FROM ledger_txn WHERE id = :t"), {"t": last.id})
        connection.execute(
            text("UPDATE account SET balance_fen = balance_fen - 2000 WHERE id = :a"),
            {"a": account},
        )
        connection.execute(
            text("UPDATE ledger_head SET seq = :s, hash = :h"),
            {"s": last.seq - 1, "h": last.prev_hash},
        )
    cli_ok(verify(cli))  # without the seal, nothing shows: that is what the seal is for
    result = verify(cli, seal)
    assert result.exit_code == 1
    assert f"封印 {seal} 对应的交易 #{seal.split(':')[0]} 不在账本中" in result.output


def test_an_edited_purchase_rehashed_without_the_key_fails(api, store, cli, session, database):
    """(b) A card purchase of 19.00 made 1.00, the wallet, the book and the sale made to agree,
    and every hash recomputed with the project's own function under another key."""
    sale = sell(api(Role.CASHIER), store, card=True)
    with insider(database) as connection:
        txn = connection.execute(
            text("SELECT id FROM ledger_txn WHERE idem_key = :k"), {"k": f"sale:{sale['sale_no']}"}
        ).scalar_one()
        connection.execute(
            text(
                "UPDATE ledger_posting SET amount_fen = "
                "CASE WHEN amount_fen < 0 THEN -100 ELSE 100 END WHERE txn_id = :t"
            ),
            {"t": txn},
        )
        connection.execute(
            text("UPDATE account SET balance_fen = balance_fen + 1800 WHERE id = :a"),
            {"a": store.card.account_id},
        )
        with Session(bind=connection) as forger:
            for name in chain.chains(forger):
                chain._rehash(forger, OTHER_KEYS, chain=name)
            forger.flush()
    result = verify(cli)
    assert result.exit_code == 1
    assert "按密钥重算哈希不符" in result.output
    assert f"销售单 {sale['sale_no']} 卡支付 19.00，账本中为 1.00" in result.output


def test_a_posting_moved_to_another_category_fails(api, store, cli, database):
    """A purchase re-filed under another roster category (what would restate a month's figures
    by category): the keyed hash covers each posting's category."""
    sale = sell(api(Role.CASHIER), store, card=True)
    with insider(database) as connection:
        connection.execute(
            text(
                "UPDATE ledger_posting SET category = '特困' WHERE account_id IS NOT NULL AND "
                "txn_id = (SELECT id FROM ledger_txn WHERE idem_key = :k)"
            ),
            {"k": f"sale:{sale['sale_no']}"},
        )
    result = verify(cli)
    assert result.exit_code == 1 and "按密钥重算哈希不符" in result.output


def test_an_edited_sale_total_or_cash_tender_fails(api, store, cli, database):
    """(c) A sale's total and its card tender, or a cash sale's total and its cash (the
    database's own CHECK keeps total = tenders), edited down in the database."""
    cashier = api(Role.CASHIER)
    card_sale = sell(cashier, store, card=True)
    cash_sale = sell(cashier, store, card=False)
    cli_ok(verify(cli))
    with insider(database) as connection:
        connection.execute(
            text("UPDATE sale SET total_fen = 1800, paid_card_fen = 1800 WHERE sale_no = :n"),
            {"n": card_sale["sale_no"]},
        )
    result = verify(cli)
    assert result.exit_code == 1
    assert f"销售单 {card_sale['sale_no']} 的合计 18.00 不等于各行之和 19.00" in result.output
    assert f"销售单 {card_sale['sale_no']} 卡支付 18.00，账本中为 19.00" in result.output
    with insider(database) as connection:
        connection.execute(
            text("UPDATE sale SET total_fen = 1900, paid_card_fen = 1900 WHERE sale_no = :n"),
            {"n": card_sale["sale_no"]},
        )
        connection.execute(
            text("UPDATE sale SET total_fen = 1500, paid_cash_fen = 1500 WHERE sale_no = :n"),
            {"n": cash_sale["sale_no"]},
        )
    result = verify(cli)
    assert result.exit_code == 1
    assert f"销售单 {cash_sale['sale_no']} 的合计 15.00 不等于各行之和 20.00" in result.output
    assert card_sale["sale_no"] not in result.output


def test_a_deleted_topup_credit_and_a_second_credit_fails(
    store, cli, session, database, clock: FakeClock
):
    """(d) D3: a row of topup_credit deleted, and the month credited again: the ledger itself
    shows the account credited twice."""
    clock.set(shanghai(2026, 12, 1, 9, 0))
    cli_ok(cli("topup", "2026-12"))
    cli_ok(verify(cli))
    with insider(database) as connection:
        connection.execute(
            text("DELETE FROM topup_credit WHERE account_id = :a"), {"a": store.card.account_id}
        )
    clock.advance(hours=1)
    cli_ok(cli("topup", "2026-12"))  # credits the one it no longer finds
    result = verify(cli)
    assert result.exit_code == 1
    assert f"账户 {store.card.account_id} 的 2026-12 补贴入账 2 次" in result.output


def test_a_deleted_topup_credit_alone_is_named(store, cli, database, clock: FakeClock):
    clock.set(shanghai(2026, 12, 1, 9, 0))
    cli_ok(cli("topup", "2026-12"))
    with insider(database) as connection:
        connection.execute(
            text("DELETE FROM topup_credit WHERE account_id = :a"), {"a": store.card.account_id}
        )
    result = verify(cli)
    assert result.exit_code == 1 and "充值登记（topup_credit）中没有这一笔" in result.output


def test_a_card_purchase_without_its_sale_or_a_sale_without_its_debit_fails(
    api, store, cli, database
):
    sale = sell(api(Role.CASHIER), store, card=True)
    with insider(database) as connection:
        connection.execute(
            text("UPDATE sale SET ledger_txn_id = NULL WHERE sale_no = :n"),
            {"n": sale["sale_no"]},
        )
    result = verify(cli)
    assert result.exit_code == 1
    assert f"销售单 {sale['sale_no']} 卡支付 19.00，但账本中没有对应的交易" in result.output
    assert f"sale:{sale['sale_no']}）没有对应的销售单" in result.output


def test_the_head_rewound_alone_is_named(store, cli, database, session):
    with insider(database) as connection:
        connection.execute(text("UPDATE ledger_head SET seq = seq - 1"))
    result = verify(cli)
    session.rollback()
    head = session.query(LedgerHead).one()
    assert result.exit_code == 1 and f"账本链头（#{head.seq}）与最后一笔交易" in result.output


def test_a_gap_in_the_sequence_is_named(store, cli, database, session, clock):
    for n in range(3):
        ledger.adjust(
            session,
            store.card.account_id,
            Money.parse("1.00"),
            reason=f"补 {n}",
            at=clock() + timedelta(minutes=n),
            tz=store.settings.tz,
            actor=Actor(None, "bureau"),
            keys=TEST_KEYS,
        )
    session.commit()
    with insider(database) as connection:
        middle = connection.execute(
            text("SELECT id FROM ledger_txn ORDER BY seq DESC LIMIT 1 OFFSET 1")
        ).scalar_one()
        connection.execute(text("DELETE FROM ledger_posting WHERE txn_id = :t"), {"t": middle})
        connection.execute(text("DELETE FROM ledger_txn WHERE id = :t"), {"t": middle})
    result = verify(cli)
    assert result.exit_code == 1 and "序号不连续" in result.output
