"""Manual adjustments under dual control (issue 13, D4): small ones post at once, large ones (or
every one under two-person approval) wait for a second bureau user; makers never decide their
own; admins never move money; a debit never takes a wallet below zero; replays do nothing twice."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from cards.models import Account, Adjustment, LedgerTransaction
from cards.services import adjustments, ledger, statement
from cards.services.verify import verify_ledger
from core import audit
from core.auth import Actor, Role
from core.errors import Conflict, Forbidden, InsufficientBalance, NotFound, ValidationError
from core.money import Money
from tests.conftest import SHANGHAI


@pytest.fixture
def bureau(make_user):
    """Two bureau users (maker, checker) and an admin, as actors."""
    return (
        Actor.of(make_user(Role.BUREAU)),
        Actor.of(make_user(Role.BUREAU)),
        Actor.of(make_user(Role.ADMIN)),
    )


def _make(session, settings, account_id, amount, actor, clock, reason="补发十一月补贴", **kw):
    return adjustments.make_adjustment(
        session,
        settings.allowance,
        account_id,
        Money.parse(amount),
        reason=reason,
        at=clock(),
        tz=SHANGHAI,
        actor=actor,
        **kw,
    )


def _balance(session, account_id):
    return ledger.balance(session, account_id)


def test_within_limit_posts_at_once_with_reason_on_statement(
    people_with_cards, session, settings, clock, bureau
):
    maker, _, _ = bureau
    account_id = people_with_cards[0].account_id
    made = _make(session, settings, account_id, "100.00", maker, clock)
    assert made.status == "posted" and made.txn_id is not None
    assert _balance(session, account_id) == Money.parse("100.00")
    lines = statement.statement(session, account_id)
    assert lines[-1].line.label == "人工调整：补发十一月补贴"
    events = list(audit.search(session, kinds=("adjustment",)))
    assert len(events) == 1 and events[0].detail["status"] == "posted"
    assert events[0].detail["amount"] == "100.00"


def test_above_limit_waits_for_a_second_bureau_user(
    people_with_cards, session, settings, clock, bureau
):
    maker, checker, _ = bureau
    account_id = people_with_cards[0].account_id
    made = _make(session, settings, account_id, "100.01", maker, clock)
    assert made.status == "pending" and made.txn_id is None
    assert _balance(session, account_id) == Money.zero()
    assert [a.id for a in adjustments.pending_adjustments(session)] == [made.id]
    with pytest.raises(Forbidden, match="发起人不能自己审批"):
        adjustments.approve_adjustment(session, made.id, at=clock(), tz=SHANGHAI, actor=maker)
    with pytest.raises(Forbidden):
        adjustments.reject_adjustment(session, made.id, reason="金额有误", at=clock(), actor=maker)
    clock.advance(hours=1)
    approved = adjustments.approve_adjustment(
        session, made.id, at=clock(), tz=SHANGHAI, actor=checker
    )
    assert approved.status == "posted" and approved.decided_by == checker.name
    assert _balance(session, account_id) == Money.parse("100.01")
    txn = session.get(LedgerTransaction, approved.txn_id)
    assert txn.idem_key == f"adjustment:{made.id}" and txn.actor_name == checker.name
    with pytest.raises(Conflict, match="已入账"):
        adjustments.approve_adjustment(session, made.id, at=clock(), tz=SHANGHAI, actor=checker)
    assert _balance(session, account_id) == Money.parse("100.01")
    kinds = [e.kind for e in audit.search(session)]
    assert kinds.count("adjustment") == 1 and kinds.count("adjustment_approve") == 1


def test_negative_above_limit_also_waits(people_with_cards, session, settings, clock, bureau):
    maker, checker, _ = bureau
    account_id = people_with_cards[0].account_id
    _make(session, settings, account_id, "50.00", maker, clock)
    big = settings.with_overrides(allowance={"adjustment_limit": "10.00"})
    made = _make(session, big, account_id, "-20.00", maker, clock, reason="重复充值扣回")
    assert made.status == "pending"
    adjustments.approve_adjustment(session, made.id, at=clock(), tz=SHANGHAI, actor=checker)
    assert _balance(session, account_id) == Money.parse("30.00")


def test_two_person_approval_holds_every_adjustment(
    people_with_cards, session, settings, clock, bureau
):
    maker, checker, _ = bureau
    strict = settings.with_overrides(allowance={"approval": "two_person"})
    account_id = people_with_cards[0].account_id
    made = _make(session, strict, account_id, "0.01", maker, clock)
    assert made.status == "pending" and _balance(session, account_id) == Money.zero()
    rejected = adjustments.reject_adjustment(
        session, made.id, reason="无依据", at=clock(), actor=checker
    )
    assert rejected.status == "rejected" and rejected.decision_reason == "无依据"
    assert _balance(session, account_id) == Money.zero()
    assert session.scalar(select(func.count(LedgerTransaction.id))) == 0
    with pytest.raises(Conflict, match="已驳回"):
        adjustments.approve_adjustment(session, made.id, at=clock(), tz=SHANGHAI, actor=checker)
    [event] = audit.search(session, kinds=("adjustment_reject",))
    assert event.detail["rejected_because"] == "无依据" and event.actor == checker.name


def test_reject_needs_a_reason(people_with_cards, session, settings, clock, bureau):
    maker, checker, _ = bureau
    made = _make(session, settings, people_with_cards[0].account_id, "500.00", maker, clock)
    with pytest.raises(ValidationError, match="驳回原因必须填写"):
        adjustments.reject_adjustment(session, made.id, reason="  ", at=clock(), actor=checker)
    assert made.status == "pending"


def test_admins_do_not_move_money(people_with_cards, session, settings, clock, bureau):
    maker, _, admin = bureau
    account_id = people_with_cards[0].account_id
    with pytest.raises(Forbidden, match="管理员"):
        _make(session, settings, account_id, "5.00", admin, clock)
    made = _make(session, settings, account_id, "500.00", maker, clock)
    with pytest.raises(Forbidden):
        adjustments.approve_adjustment(session, made.id, at=clock(), tz=SHANGHAI, actor=admin)
    assert _balance(session, account_id) == Money.zero()


@pytest.mark.parametrize(
    ("amount", "reason", "message"),
    [
        ("99999999.99", "补发", "超出单笔上限"),
        ("10000.01", "补发", "超出单笔上限"),
        ("-10000.01", "补发", "超出单笔上限"),
        ("0.00", "补发", "不能为零"),
        ("5.00", "x", "太短"),
        ("5.00", "   ", "必须填写"),
        ("5.00", "很" * 201, "不能超过 200"),
    ],
)
def test_bad_amounts_and_reasons_are_refused(
    people_with_cards, session, settings, clock, bureau, amount, reason, message
):
    maker, _, _ = bureau
    account_id = people_with_cards[0].account_id
    with pytest.raises(ValidationError, match=message):
        _make(session, settings, account_id, amount, maker, clock, reason=reason)
    assert session.scalar(select(func.count(Adjustment.id))) == 0


def test_a_debit_never_goes_below_zero(people_with_cards, session, settings, clock, bureau):
    maker, checker, _ = bureau
    account_id = people_with_cards[0].account_id
    _make(session, settings, account_id, "30.00", maker, clock)
    with pytest.raises(InsufficientBalance, match="余额不能为负"):
        _make(session, settings, account_id, "-30.01", maker, clock)
    made = _make(session, settings, account_id, "-30.00", maker, clock, reason="误充扣回")
    assert made.status == "posted" and _balance(session, account_id) == Money.zero()
    # A pending debit that the balance no longer covers at approval is refused then.
    _make(session, settings, account_id, "100.00", maker, clock)
    wait = _make(
        session,
        settings.with_overrides(allowance={"approval": "two_person"}),
        account_id,
        "-100.00",
        maker,
        clock,
    )
    ledger.debit_for_sale(
        session,
        account_id,
        Money.parse("1.00"),
        sale_no="S1",
        at=clock(),
        tz=SHANGHAI,
        actor=maker,
    )
    with pytest.raises(InsufficientBalance):
        adjustments.approve_adjustment(session, wait.id, at=clock(), tz=SHANGHAI, actor=checker)
    session.rollback()
    assert session.get(Account, account_id).balance_fen >= 0


def test_client_ref_replays_and_conflicts(people_with_cards, session, settings, clock, bureau):
    maker, _, _ = bureau
    account_id = people_with_cards[0].account_id
    first = _make(session, settings, account_id, "5.00", maker, clock, client_ref="r-1")
    again = _make(session, settings, account_id, "5.00", maker, clock, client_ref="r-1")
    assert again.id == first.id and _balance(session, account_id) == Money.parse("5.00")
    with pytest.raises(Conflict, match="r-1"):
        _make(session, settings, account_id, "6.00", maker, clock, client_ref="r-1")
    assert session.scalar(select(func.count(Adjustment.id))) == 1


def test_unknown_adjustment(session, clock, bureau):
    _, checker, _ = bureau
    with pytest.raises(NotFound):
        adjustments.approve_adjustment(session, 999, at=clock(), tz=SHANGHAI, actor=checker)


def test_concurrent_approvals_post_once(
    people_with_cards, session, settings, database, clock, make_user
):
    maker = Actor.of(make_user(Role.BUREAU))
    checkers = [Actor.of(make_user(Role.BUREAU)) for _ in range(4)]
    account_id = people_with_cards[0].account_id
    made = _make(session, settings, account_id, "500.00", maker, clock)
    session.commit()
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(checkers))

    def worker(actor: Actor) -> None:
        start.wait()
        with database.session() as s:
            try:
                adjustments.approve_adjustment(s, made.id, at=clock(), tz=SHANGHAI, actor=actor)
                s.commit()
                result = "posted"
            except Conflict:
                s.rollback()
                result = "conflict"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(a,)) for a in checkers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    session.expire_all()
    assert sorted(outcomes) == ["conflict"] * 3 + ["posted"]
    assert ledger.balance(session, account_id) == Money.parse("500.00")
    assert verify_ledger(session).ok
