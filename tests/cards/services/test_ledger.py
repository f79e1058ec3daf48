"""The ledger: conditional debits never go below zero (also with 8 threads), postings are
append-only, the hash chain catches edits, and random sequences keep every invariant."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from cards.models import Account, LedgerTransaction, Posting
from cards.services import expiry, ledger, statement, topup
from cards.services.verify import verify_ledger
from core.errors import InsufficientBalance, ValidationError
from core.money import Money
from core.periods import Month
from tests.cards.conftest import ACTOR
from tests.conftest import SHANGHAI, TEST_KEYS


def _credit(session, account_id, yuan, *, clock):
    return ledger.adjust(
        session,
        account_id,
        Money.parse(yuan),
        reason="测试充值",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )


def test_debit_refund_and_lines(people_with_cards, session, clock):
    account_id = people_with_cards[0].account_id
    _credit(session, account_id, "50.00", clock=clock)
    txn = ledger.debit_for_sale(
        session,
        account_id,
        Money.parse("12.30"),
        sale_no="S1",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    # replaying the same sale changes nothing
    assert (
        ledger.debit_for_sale(
            session,
            account_id,
            Money.parse("12.30"),
            sale_no="S1",
            at=clock(),
            tz=SHANGHAI,
            actor=ACTOR,
            keys=TEST_KEYS,
        )
        == txn
    )
    ledger.credit_refund(
        session,
        account_id,
        Money.parse("2.30"),
        sale_no="S1",
        refund_no="R1",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()
    assert ledger.balance(session, account_id) == Money.parse("40.00")
    lines = statement.recent_entries(session, account_id)
    assert [(e.kind, e.label, str(e.amount)) for e in lines] == [
        ("refund", "购物退款", "2.30"),
        ("purchase", "超市购物", "-12.30"),
        ("adjustment", "人工调整：测试充值", "50.00"),
    ]
    lines_with_balance = statement.statement(session, account_id)
    assert [str(s.balance) for s in lines_with_balance] == ["50.00", "37.70", "40.00"]
    assert verify_ledger(session, TEST_KEYS).ok


def test_insufficient_balance_changes_nothing(people_with_cards, session, clock):
    account_id = people_with_cards[0].account_id
    _credit(session, account_id, "5.00", clock=clock)
    session.commit()
    with pytest.raises(InsufficientBalance, match="余额不足"):
        ledger.debit_for_sale(
            session,
            account_id,
            Money.parse("5.01"),
            sale_no="S2",
            at=clock(),
            tz=SHANGHAI,
            actor=ACTOR,
            keys=TEST_KEYS,
        )
    session.rollback()
    assert ledger.balance(session, account_id) == Money.parse("5.00")
    with pytest.raises(ValidationError):
        ledger.debit_for_sale(
            session,
            account_id,
            Money(0),
            sale_no="S3",
            at=clock(),
            tz=SHANGHAI,
            actor=ACTOR,
            keys=TEST_KEYS,
        )
    with pytest.raises(InsufficientBalance):
        ledger.adjust(
            session,
            account_id,
            Money.parse("-6.00"),
            reason="扣回",
            at=clock(),
            tz=SHANGHAI,
            actor=ACTOR,
            keys=TEST_KEYS,
        )


def test_eight_threads_never_overdraw_one_account(people_with_cards, session, database, clock):
    account_id = people_with_cards[0].account_id
    _credit(session, account_id, "10.00", clock=clock)
    session.commit()
    paid: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        start.wait()
        for i in range(5):
            with database.session() as s:
                try:
                    ledger.debit_for_sale(
                        s,
                        account_id,
                        Money.parse("1.00"),
                        sale_no=f"T{n}-{i}",
                        at=clock(),
                        tz=SHANGHAI,
                        actor=ACTOR,
                        keys=TEST_KEYS,
                    )
                    s.commit()
                    with lock:
                        paid.append(1)
                except InsufficientBalance:
                    s.rollback()
                    with lock:
                        refused.append(1)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.expire_all()
    assert len(paid) == 10 and len(refused) == 30
    assert ledger.balance(session, account_id) == Money(0)
    assert verify_ledger(session, TEST_KEYS).ok


def test_postings_are_append_only(people_with_cards, session, clock, database):
    account_id = people_with_cards[0].account_id
    _credit(session, account_id, "5.00", clock=clock)
    session.commit()
    for sql in (
        "UPDATE ledger_posting SET amount_fen = 1",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_txn SET memo = 'x'",
    ):
        with pytest.raises((IntegrityError, DBAPIError)):
            with database.engine.begin() as connection:
                connection.execute(text(sql))


def test_verify_reports_a_tampered_posting(people_with_cards, session, clock, database):
    account_id = people_with_cards[0].account_id
    _credit(session, account_id, "5.00", clock=clock)
    ledger.debit_for_sale(
        session,
        account_id,
        Money.parse("1.00"),
        sale_no="S9",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()
    with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            connection.execute(text("DROP TRIGGER ledger_posting_no_update"))
        connection.execute(
            text(
                "UPDATE ledger_posting SET amount_fen = -50 WHERE amount_fen = -100 AND account_id IS NOT NULL"
            )
        )
    result = verify_ledger(session, TEST_KEYS)
    assert not result.ok
    joined = "\n".join(result.problems)
    assert "不等于其分录之和" in joined and "不平衡" in joined and "哈希不符" in joined


def test_verify_cli_fails_on_tampering(people_with_cards, session, clock, database, cli):
    account_id = people_with_cards[0].account_id
    _credit(session, account_id, "5.00", clock=clock)
    session.commit()
    assert cli("ledger", "verify").exit_code == 0
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE account SET balance_fen = 9999"))
    result = cli("ledger", "verify")
    assert result.exit_code == 1 and "不等于其分录之和" in result.output


@pytest.mark.usefixtures("postgres_only")
def test_postgres_trigger_refuses_update_and_delete(people_with_cards, session, clock, database):
    account_id = people_with_cards[0].account_id
    _credit(session, account_id, "5.00", clock=clock)
    session.commit()
    for sql in ("UPDATE ledger_posting SET amount_fen = 1", "DELETE FROM ledger_posting"):
        with pytest.raises(DBAPIError, match="只能追加"):
            with database.engine.begin() as connection:
                connection.execute(text(sql))


operations = st.lists(
    st.tuples(
        st.sampled_from(["credit", "debit", "refund", "expire", "month"]), st.integers(1, 3000)
    ),
    min_size=1,
    max_size=25,
)


@hyp_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_random_sequences_keep_the_invariants(ops, people_with_cards, session, settings, clock):
    """Whatever the sequence of credits, debits, refunds and expiries: no balance below zero,
    every cached balance equals its postings, every transaction balances, the chain holds."""
    session.rollback()
    expiring = settings.with_overrides(allowance={"unspent": "expire", "expire_after_months": 1})
    account_id = people_with_cards[2].account_id
    month = Month(2027, 1)
    at = clock() + timedelta(days=40)
    n = len(session.scalars(select(LedgerTransaction.id)).all())
    for kind, fen in ops:
        n += 1
        at = at + timedelta(minutes=1)
        try:
            if kind == "credit":
                ledger.adjust(
                    session,
                    account_id,
                    Money(fen),
                    reason="加",
                    at=at,
                    tz=SHANGHAI,
                    actor=ACTOR,
                    keys=TEST_KEYS,
                )
            elif kind == "debit":
                ledger.debit_for_sale(
                    session,
                    account_id,
                    Money(fen),
                    sale_no=f"H{n}-{fen}-{at.timestamp()}",
                    at=at,
                    tz=SHANGHAI,
                    actor=ACTOR,
                    keys=TEST_KEYS,
                )
            elif kind == "refund":
                ledger.credit_refund(
                    session,
                    account_id,
                    Money(fen),
                    sale_no="X",
                    refund_no=f"R{n}-{at.timestamp()}",
                    at=at,
                    tz=SHANGHAI,
                    actor=ACTOR,
                    keys=TEST_KEYS,
                )
            elif kind == "expire":
                expiry.expire(session, expiring, month, at=at, actor=ACTOR, keys=TEST_KEYS)
            else:
                month = month.next()
                at = month.start(expiring.tz) + timedelta(hours=1)
                # examples share the database: a month credited before is not credited again
                topup.run_topup(session, expiring, month, at=at, actor=ACTOR, keys=TEST_KEYS)
        except InsufficientBalance:
            session.rollback()
            continue
        session.commit()
        assert ledger.balance(session, account_id).fen >= 0
    result = verify_ledger(session, TEST_KEYS)
    assert result.ok, result.problems
    total = session.scalar(select(func.sum(Posting.amount_fen)))
    assert (total or 0) == 0
    assert session.scalar(select(func.min(Account.balance_fen))) >= 0
    session.rollback()
