"""Property: whatever the sequence of top-ups, sales, refunds, adjustments, expiries, category
changes and month closes, every month's statement balances (the identity and the card balances)
and a closed month's statement never changes."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cards.hooks import CardsHooks
from cards.models import Beneficiary, LedgerTransaction, MonthClose
from cards.services import fund_statement, ledger, month_close, topup
from cards.services.expiry import expire
from core.errors import InsufficientBalance
from core.money import Money
from core.periods import Month
from tests.cards.conftest import ACTOR
from tests.conftest import SHANGHAI

KINDS = ["topup", "sale", "refund", "adjust", "expire", "category", "next", "close"]
operations = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(1, 6000), st.integers(0, 4)),
    min_size=1,
    max_size=30,
)
NONE = CardsHooks()


@hyp_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_statements_balance_and_closed_months_never_change(
    ops, people_with_cards, session, settings, clock
):
    session.rollback()
    expiring = settings.with_overrides(allowance={"unspent": "expire", "expire_after_months": 1})
    accounts = [c.account_id for c in people_with_cards]
    # examples share the database: start after everything booked (and closed) before
    last = session.scalar(select(func.max(LedgerTransaction.business_date)))
    closed = session.scalar(select(func.max(MonthClose.month)))
    month = max(
        Month.of_date(last).next() if last else Month(2026, 12),
        Month.parse(closed).next() if closed else Month(2026, 12),
    )
    first = month
    at = month.start(SHANGHAI) + timedelta(hours=1)
    frozen: dict[str, dict[str, object]] = {}
    for n, (kind, fen, who) in enumerate(ops):
        at += timedelta(minutes=1)
        account = accounts[who]
        ref = f"P{at.timestamp()}-{n}"
        try:
            if kind == "topup":
                topup.run_topup(session, expiring, month, at=at, actor=ACTOR)
            elif kind == "sale":
                ledger.debit_for_sale(
                    session, account, Money(fen), sale_no=ref, at=at, tz=SHANGHAI, actor=ACTOR
                )
            elif kind == "refund":
                ledger.credit_refund(
                    session,
                    account,
                    Money(fen // 3 + 1),
                    sale_no="X",
                    refund_no=ref,
                    at=at,
                    tz=SHANGHAI,
                    actor=ACTOR,
                )
            elif kind == "adjust":
                ledger.adjust(
                    session, account, Money(fen), reason="补发", at=at, tz=SHANGHAI, actor=ACTOR
                )
            elif kind == "expire":
                expire(session, expiring, month, at=at, actor=ACTOR)
            elif kind == "category":
                person = session.scalar(
                    select(Beneficiary).where(
                        Beneficiary.id == people_with_cards[who].account.beneficiary_id
                    )
                )
                person.category = "特困" if person.category != "特困" else "低保"
            elif kind == "next":
                month = month.next()
                at = month.start(SHANGHAI) + timedelta(hours=1)
            else:  # close the month before (moving into a new month first when needed)
                if month == first:
                    month = month.next()
                    at = month.start(SHANGHAI) + timedelta(hours=1)
                ended = month.previous()
                done = month_close.close_month(session, expiring, ended, NONE, at=at, actor=ACTOR)
                frozen.setdefault(str(ended), done.statement.to_json())
        except InsufficientBalance:
            session.rollback()
            continue
        session.commit()
    for closed, data in frozen.items():
        again = fund_statement.fund_statement(session, expiring, Month.parse(closed), NONE)
        assert again.to_json() == data
    shown = first
    while shown <= month:
        statement = fund_statement.compute_statement(session, expiring, shown, NONE)
        assert statement.balanced, (str(shown), statement.balance_line)
        shown = shown.next()
    assert month_close.check_closed_months(session, expiring) == []
    session.rollback()
