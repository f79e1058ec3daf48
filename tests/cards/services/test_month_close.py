"""Issue [10] D1, D2, fixed runs and the month close: a month's allowance waits for its month,
each posting keeps its category, approval posts what was prepared, a closed month's statement
reads back identically and nothing can be posted into it."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from cards.hooks import CardsHooks
from cards.models import Beneficiary, MonthClose, Posting, TopUpRun
from cards.services import fund_statement, ledger, month_close, topup
from cards.services.ledger import MonthClosed
from core.auth import Actor
from core.errors import ValidationError
from core.money import Money
from core.periods import Month
from tests.cards.conftest import ACTOR, make_id, person_row
from tests.conftest import SHANGHAI, TEST_KEYS, shanghai

NOV, DEC = Month(2026, 11), Month(2026, 12)
NONE = CardsHooks()


def statement(session, settings, month):
    return fund_statement.fund_statement(session, settings, month, NONE)


def spend(session, card, amount, sale_no, at):
    ledger.debit_for_sale(
        session,
        card.account_id,
        Money.parse(amount),
        sale_no=sale_no,
        at=at,
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )


def test_d1_an_early_approval_waits_for_its_month(people_with_cards, session, settings, make_user):
    two = settings.with_overrides(allowance={"approval": "two_person"})
    alice, bob = make_user("bureau"), make_user("bureau")
    early = shanghai(2026, 11, 28, 10)
    outcome = topup.run_topup(session, two, DEC, at=early, actor=Actor.of(alice), keys=TEST_KEYS)
    run = topup.approve_run(
        session, two, outcome.run.id, at=early, actor=Actor.of(bob), keys=TEST_KEYS
    )
    session.commit()
    assert run.status == "approved" and run.txn_id is None
    assert all(ledger.balance(session, c.account_id).fen == 0 for c in people_with_cards)
    with pytest.raises(ValidationError, match="还没有开始"):
        topup.post_run(session, two, run, at=early, actor=ACTOR, keys=TEST_KEYS)
    session.rollback()
    # 2026-11-30 23:30 UTC is already 1 December in Shanghai: the month has begun there
    begun = shanghai(2026, 12, 1, 7, 30)
    posted = topup.post_due_runs(session, two, at=begun, actor=ACTOR, keys=TEST_KEYS)
    session.commit()
    assert [r.id for r in posted] == [run.id] and posted[0].status == "posted"
    december = statement(session, settings, DEC).total
    november = statement(session, settings, NOV).total
    assert (december.people, december.credited) == (5, 25000)  # people and money: same postings
    assert (november.people, november.credited) == (0, 0)


def test_d2_a_category_change_does_not_restate_a_month(people_with_cards, session, settings, clock):
    topup.run_topup(session, settings, NOV, at=clock(), actor=ACTOR, keys=TEST_KEYS)
    spend(session, people_with_cards[0], "20.00", "S1", clock())
    session.commit()
    before = statement(session, settings, NOV).to_json()
    assert before["categories"]["低保"]["people"] == 3
    person = session.scalar(select(Beneficiary).where(Beneficiary.name == "张三云"))
    person.category = "特困"
    session.commit()
    after = statement(session, settings, NOV).to_json()
    assert after == before
    spend(session, people_with_cards[0], "5.00", "S2", shanghai(2026, 12, 2, 10))
    session.commit()
    december = statement(session, settings, DEC)
    assert december.categories["特困"].spent == 500 and december.categories["低保"].spent == 0
    assert december.categories["低保"].opening == 15000 - 2000
    assert december.balanced
    kept = session.scalars(
        select(Posting.category).where(Posting.account_id == people_with_cards[0].account_id)
    ).all()
    assert kept == ["低保", "低保", "特困"]


def test_approval_posts_exactly_what_was_prepared(
    people_with_cards, session, settings, clock, make_user, import_rows
):
    two = settings.with_overrides(allowance={"approval": "two_person"})
    alice, bob = make_user("bureau"), make_user("bureau")
    outcome = topup.run_topup(session, two, NOV, at=clock(), actor=Actor.of(alice), keys=TEST_KEYS)
    session.commit()
    assert outcome.run.people == 5
    # after preparation: one person joins, one leaves
    import_rows(
        [
            person_row(1, "张三云"),
            person_row(2, "李四"),
            person_row(3, "王五"),
            person_row(4, "赵六", "优抚"),
            person_row(5, "钱七", "特困"),
            person_row(6),
        ]
    )
    from cards.services import cards as card_service

    card_service.issue_all(session, at=clock(), actor=ACTOR)
    gone = session.scalar(select(Beneficiary).where(Beneficiary.name == "李四"))
    gone.status = "exited"
    session.commit()
    run = topup.approve_run(
        session, two, outcome.run.id, at=clock(), actor=Actor.of(bob), keys=TEST_KEYS
    )
    session.commit()
    assert run.people == 4 and run.amount_fen == 20000
    assert len(topup.skipped(run)) == 1 and "李四" in topup.skipped(run)[0]
    balances = [ledger.balance(session, c.account_id).fen for c in people_with_cards]
    assert balances == [5000, 0, 5000, 5000, 5000]
    newcomer = session.scalar(select(Beneficiary).where(Beneficiary.name == "测试6"))
    assert newcomer is not None and newcomer.account.balance_fen == 0  # waits for a new run
    again = topup.run_topup(session, settings, NOV, at=clock(), actor=ACTOR, keys=TEST_KEYS)
    session.commit()
    assert again.run is not None and again.run.people == 1  # the supplementary run


def _november(people_with_cards, session, settings, clock):
    topup.run_topup(session, settings, NOV, at=clock(), actor=ACTOR, keys=TEST_KEYS)
    spend(session, people_with_cards[0], "12.50", "S1", clock())
    ledger.credit_refund(
        session,
        people_with_cards[0].account_id,
        Money.parse("2.50"),
        sale_no="S1",
        refund_no="R1",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    ledger.adjust(
        session,
        people_with_cards[3].account_id,
        Money.parse("20.00"),
        reason="补发",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()


def test_month_close_stores_seals_and_refuses_later_postings(
    people_with_cards, session, settings, clock
):
    _november(people_with_cards, session, settings, clock)
    with pytest.raises(ValidationError, match="还没有结束"):
        month_close.close_month(session, settings, NOV, NONE, at=clock(), actor=ACTOR)
    session.rollback()
    at = shanghai(2026, 12, 1, 9)
    done = month_close.close_month(session, settings, NOV, NONE, at=at, actor=ACTOR)
    session.commit()
    stored = done.statement.to_json()
    assert not done.already and stored["closed"] and stored["balanced"]
    assert stored["total"] == {
        "people": 5,
        "opening": "0.00",
        "credited": "250.00",
        "spent": "12.50",
        "refunded": "2.50",
        "lapsed": "0.00",
        "adjustments": "20.00",
        "closing": "260.00",
    }
    last = session.execute(text("SELECT seq, hash FROM ledger_txn ORDER BY seq DESC")).first()
    assert done.seal == f"{last.seq}:{last.hash[:16]}"
    # later: a category change, December spending, a December top-up
    person = session.scalar(select(Beneficiary).where(Beneficiary.name == "张三云"))
    person.category = "特困"
    session.commit()
    spend(session, people_with_cards[0], "3.00", "S2", at)
    topup.run_topup(session, settings, DEC, at=at, actor=ACTOR, keys=TEST_KEYS)
    session.commit()
    again = statement(session, settings, NOV)
    assert again.to_json() == stored and again.seal == done.seal
    december = statement(session, settings, DEC)
    assert december.total.opening == 26000 and december.balanced  # the opening: a lookup
    with pytest.raises(MonthClosed, match="已结账"):
        ledger.adjust(
            session,
            people_with_cards[1].account_id,
            Money.parse("1.00"),
            reason="更正",
            at=at,
            tz=SHANGHAI,
            actor=ACTOR,
            business_date=NOV.last_day,
            keys=TEST_KEYS,
        )
    session.rollback()
    ledger.adjust(
        session,
        people_with_cards[1].account_id,
        Money.parse("1.00"),
        reason="更正 2026-11：少充",
        at=at,
        tz=SHANGHAI,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()
    twice = month_close.close_month(session, settings, NOV, NONE, at=at, actor=ACTOR)
    assert twice.already and twice.seal == done.seal
    with pytest.raises(ValidationError):
        month_close.close_month(session, settings, DEC, NONE, at=at, actor=ACTOR)
    session.rollback()
    assert month_close.check_closed_months(session, settings) == []
    events = session.execute(text("SELECT kind, subject FROM audit_event")).all()
    assert ("month_close", "2026-11") in [tuple(e) for e in events]


def test_a_posting_slipped_into_a_closed_month_is_found(
    people_with_cards, session, settings, clock
):
    _november(people_with_cards, session, settings, clock)
    month_close.close_month(session, settings, NOV, NONE, at=shanghai(2026, 12, 1), actor=ACTOR)
    session.commit()
    # an insider writes a November purchase straight into the tables
    account = people_with_cards[2].account_id
    seq = session.scalar(text("SELECT max(seq) FROM ledger_txn")) + 1
    session.execute(
        text(
            "INSERT INTO ledger_txn (chain, seq, kind, business_date, period, memo, at, "
            "actor_name, prev_hash, hash) VALUES ('bureau', :seq, 'purchase', '2026-11-20', '', '', "
            "'2026-11-20 02:00:00.000000', 'x', 'x', 'x')"
        ),
        {"seq": seq},
    )
    txn = session.scalar(text("SELECT id FROM ledger_txn WHERE seq = :s"), {"s": seq})
    session.execute(
        text(
            "INSERT INTO ledger_posting (txn_id, account_id, amount_fen, category) "
            "VALUES (:t, :a, -100, '低保')"
        ),
        {"t": txn, "a": account},
    )
    session.execute(
        text("INSERT INTO ledger_posting (txn_id, book, amount_fen) VALUES (:t, 'sales', 100)"),
        {"t": txn},
    )
    session.commit()
    problems = month_close.check_closed_months(session, settings)
    assert any("2026-11" in p and "不一致" in p for p in problems), problems
    assert any("封印" in p for p in problems), problems


def test_json_shape_and_identity(people_with_cards, session, settings, clock):
    _november(people_with_cards, session, settings, clock)
    data = statement(session, settings, NOV).to_json()
    assert set(data) == {
        "month",
        "closed",
        "balanced",
        "total",
        "categories",
        "stores",
        "charity_discount",
        "purchases",
        "shoppers",
        "clothing_items",
    }
    keys = {
        "people",
        "opening",
        "credited",
        "spent",
        "refunded",
        "lapsed",
        "adjustments",
        "closing",
    }
    assert set(data["total"]) == keys
    for figures in [data["total"], *data["categories"].values()]:
        assert set(figures) == keys
        m = {k: Money.parse(v).fen for k, v in figures.items() if k != "people"}
        assert (
            m["opening"]
            + m["credited"]
            - m["spent"]
            + m["refunded"]
            - m["lapsed"]
            + m["adjustments"]
            == m["closing"]
        )
    assert data["balanced"] is True and data["closed"] is False
    assert json.loads(json.dumps(data)) == data
    assert session.scalar(select(MonthClose.id)) is None
    assert session.scalar(select(TopUpRun.status)) == "posted"
    assert make_id(1)  # the fixture's people are the ones above


def test_charity_topup_in_the_month_posts_an_early_approval(
    people_with_cards, session, settings, make_user, cli, clock
):
    two = settings.with_overrides(allowance={"approval": "two_person"})
    alice, bob = make_user("bureau"), make_user("bureau")
    outcome = topup.run_topup(session, two, DEC, at=clock(), actor=Actor.of(alice), keys=TEST_KEYS)
    topup.approve_run(session, two, outcome.run.id, at=clock(), actor=Actor.of(bob), keys=TEST_KEYS)
    session.commit()
    refused = cli("topup", "2026-12")
    assert refused.exit_code == 1 and "还没有开始" in refused.output
    clock.set(shanghai(2026, 12, 1, 0, 5))
    out = cli("topup", "2026-12")
    assert out.exit_code == 0, out.output
    assert f"已入账此前审批的批次 #{outcome.run.id}" in out.output and "5 人" in out.output
    session.rollback()
    assert ledger.balance(session, people_with_cards[0].account_id) == Money.parse("50.00")
