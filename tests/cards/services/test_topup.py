"""Monthly top-up runs: amounts by category, once per month, late joiners, skipped statuses,
two-person approval, expiry, the fund report."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from cards.hooks import CardsHooks
from cards.models import Account, TopUpCredit, TopUpRun
from cards.services import beneficiaries, fund_statement, ledger, statement, topup, topup_preview
from cards.services.expiry import expire
from cards.services.verify import verify_ledger
from core.auth import Actor
from core.errors import Conflict, Forbidden, ValidationError
from core.money import Money
from core.periods import Month
from tests.cards.conftest import ACTOR, make_id, person_row
from tests.conftest import SHANGHAI, TEST_KEYS, cli_ok, shanghai


@pytest.fixture
def by_category(settings):
    return settings.with_overrides(
        allowance={"by_category": {"低保": "50.00", "优抚": "80.00", "特困": "100.00"}}
    )


def _balances(session):
    session.expire_all()
    rows = session.execute(select(Account.id, Account.balance_fen).order_by(Account.id)).all()
    session.rollback()
    return [fen for _, fen in rows]


def test_each_category_gets_its_amount_exactly_once(people_with_cards, session, by_category, clock):
    steps: list[str] = []
    outcome = topup.run_topup(
        session, by_category, Month(2026, 11), at=clock(), actor=ACTOR, progress=steps.append
    )
    session.commit()
    assert outcome.posted and outcome.run.people == 5
    assert steps == list(topup.POST_STEPS)  # the command line's progress bar sees every step
    assert outcome.preview.by_category == {
        "低保": [3, 15000],
        "优抚": [1, 8000],
        "特困": [1, 10000],
    }
    assert _balances(session) == [5000, 5000, 5000, 8000, 10000]
    again = topup.run_topup(session, by_category, Month(2026, 11), at=clock(), actor=ACTOR)
    session.commit()
    assert again.run is None and again.preview.already_credited == 5
    assert _balances(session) == [5000, 5000, 5000, 8000, 10000]
    assert verify_ledger(session).ok
    last = statement.last_topup(session, people_with_cards[0].account_id)
    assert last.label == "11月补贴" and last.amount == Money.parse("50.00")


def test_suspended_and_exited_are_skipped_and_late_joiners_credited(
    people_with_cards, session, settings, clock, import_rows
):
    beneficiaries.set_status(
        session,
        make_id(1),
        "suspended",
        keys=TEST_KEYS,
        reason="复核",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    beneficiaries.set_status(
        session,
        make_id(2),
        "exited",
        keys=TEST_KEYS,
        reason="迁出",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    session.commit()
    topup.run_topup(session, settings, Month(2026, 11), at=clock(), actor=ACTOR)
    session.commit()
    assert _balances(session) == [0, 0, 5000, 5000, 5000]
    beneficiaries.set_status(
        session,
        make_id(1),
        "active",
        keys=TEST_KEYS,
        reason="复核通过",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    session.commit()
    preview = topup_preview.preview(session, settings, Month(2026, 11))
    assert preview.people == 1 and preview.already_credited == 3
    topup.run_topup(session, settings, Month(2026, 11), at=clock(), actor=ACTOR)
    session.commit()
    assert _balances(session) == [5000, 0, 5000, 5000, 5000]
    assert session.scalar(select(func.count()).select_from(TopUpCredit)) == 4


def test_concurrent_runs_credit_once(people_with_cards, session, settings, database, clock):
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with database.session() as s:
                topup.run_topup(s, settings, Month(2026, 11), at=clock(), actor=ACTOR)
                s.commit()
        except Conflict:
            pass  # a prepared run of the other thread: refused, nothing done
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _balances(session) == [5000] * 5
    assert verify_ledger(session).ok


def test_dry_run_and_bad_months(people_with_cards, cli, session):
    out = cli_ok(cli("topup", "2026-12", "--dry-run"))  # a preview may be made early
    assert "5 人" in out and "￥250.00" in out and "试运行" in out
    assert _balances(session) == [0] * 5
    for bad in ("2026-13", "12-2026", "2027-01", "2026-12"):  # 2026-12 has not begun (D1)
        result = cli("topup", bad)
        assert result.exit_code == 1, (bad, result.output)
    cli_ok(cli("topup", "2026-11"))
    assert _balances(session) == [5000] * 5


def test_preview_shows_the_difference_from_last_month(
    people_with_cards, session, settings, clock, by_category
):
    topup.run_topup(session, settings, Month(2026, 11), at=clock(), actor=ACTOR)
    beneficiaries.set_status(
        session,
        make_id(5),
        "exited",
        keys=TEST_KEYS,
        reason="去世",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    session.commit()
    shown = topup_preview.preview(session, by_category, Month(2026, 12))
    assert len(shown.left) == 1 and "钱*" not in shown.left[0]
    assert len(shown.amount_changed) == 1 and "50.00→80.00" in shown.amount_changed[0]
    assert shown.previous_people == 5


def test_two_person_approval(people_with_cards, session, settings, clock, make_user, cli):
    two = settings.with_overrides(allowance={"approval": "two_person"})
    alice, bob = make_user("bureau"), make_user("bureau")
    outcome = topup.run_topup(session, two, Month(2026, 11), at=clock(), actor=Actor.of(alice))
    session.commit()
    assert not outcome.posted and _balances(session) == [0] * 5
    with pytest.raises(Forbidden):
        topup.approve_run(session, two, outcome.run.id, at=clock(), actor=Actor.of(alice))
    session.rollback()
    with pytest.raises(Conflict):
        topup.prepare_run(session, two, Month(2026, 11), at=clock(), actor=Actor.of(bob))
    session.rollback()
    topup.approve_run(session, two, outcome.run.id, at=clock(), actor=Actor.of(bob))
    session.commit()
    run = session.get(TopUpRun, outcome.run.id)
    assert run.status == "posted" and run.approved_by == bob.username
    assert _balances(session) == [5000] * 5


def test_expiry_books_lapsed_money(people_with_cards, session, settings, clock):
    expiring = settings.with_overrides(allowance={"unspent": "expire", "expire_after_months": 1})
    account = people_with_cards[0].account_id
    topup.run_topup(session, expiring, Month(2026, 11), at=clock(), actor=ACTOR)
    ledger.debit_for_sale(
        session, account, Money.parse("20.00"), sale_no="S1", at=clock(), tz=SHANGHAI, actor=ACTOR
    )
    session.commit()
    # December's run first lapses what is left of November's credit
    dec = shanghai(2026, 12, 1, 9, 0)
    topup.run_topup(session, expiring, Month(2026, 12), at=dec, actor=ACTOR)
    session.commit()
    assert _balances(session) == [5000] * 5
    lines = statement.recent_entries(session, account)
    assert [(e.kind, str(e.amount)) for e in lines[:2]] == [
        ("topup", "50.00"),
        ("expiry", "-30.00"),
    ]
    # running it again books nothing more
    result = expire(session, expiring, Month(2026, 12), at=dec + timedelta(hours=1), actor=ACTOR)
    assert result.accounts == 0
    report = fund_statement.fund_statement(session, expiring, Month(2026, 12), CardsHooks())
    assert report.total.lapsed == 3000 + 4 * 5000
    assert report.total.opening == 23000 and report.total.closing == 25000
    assert report.balanced
    assert verify_ledger(session).ok


def test_carry_over_keeps_credit(people_with_cards, session, settings, clock):
    topup.run_topup(session, settings, Month(2026, 11), at=clock(), actor=ACTOR)
    topup.run_topup(session, settings, Month(2026, 12), at=shanghai(2026, 12, 1, 9), actor=ACTOR)
    session.commit()
    assert _balances(session) == [10000] * 5


def test_fund_report_cli_and_xlsx(people_with_cards, session, settings, clock, cli, tmp_path):
    account = people_with_cards[0].account_id
    topup.run_topup(session, settings, Month(2026, 11), at=clock(), actor=ACTOR)
    ledger.debit_for_sale(
        session, account, Money.parse("12.00"), sale_no="S1", at=clock(), tz=SHANGHAI, actor=ACTOR
    )
    ledger.credit_refund(
        session,
        account,
        Money.parse("2.00"),
        sale_no="S1",
        refund_no="R1",
        at=clock(),
        tz=SHANGHAI,
        actor=ACTOR,
    )
    session.commit()
    report = fund_statement.fund_statement(session, settings, Month(2026, 11), CardsHooks())
    dibao = report.categories["低保"]
    assert (
        dibao.people,
        dibao.credited,
        dibao.spent,
        dibao.refunded,
        dibao.closing,
    ) == (3, 15000, 1200, 200, 14000)
    session.rollback()  # SQLite: the test's read holds the write lock
    path = tmp_path / "fund.xlsx"
    out = cli_ok(cli("report", "fund", "2026-11", "--xlsx", str(path)))
    assert "合计" in out and "250.00" in out
    sheet = load_workbook(path)["资金月报"]
    header = next(r for r in sheet.iter_rows() if r[0].value == "类别")
    assert [c.value for c in header][:3] == ["类别", "充值人数", "期初余额"]
    first = sheet.cell(row=header[0].row + 1, column=4)
    assert first.value == 150 and first.number_format.endswith("0.00")
    assert cli("report", "fund", "2026/11").exit_code == 1


def test_adjustment_cli_less_refusals(people_with_cards, session, clock):
    account = people_with_cards[3].account_id
    with pytest.raises(ValidationError):
        ledger.adjust(
            session, account, Money.parse("5.00"), reason=" ", at=clock(), tz=SHANGHAI, actor=ACTOR
        )
    ledger.adjust(
        session, account, Money.parse("5.00"), reason="补发", at=clock(), tz=SHANGHAI, actor=ACTOR
    )
    ledger.adjust(
        session, account, Money.parse("-5.00"), reason="扣回", at=clock(), tz=SHANGHAI, actor=ACTOR
    )
    session.commit()
    assert ledger.balance(session, account) == Money(0)
    assert person_row  # the helper is shared with the roster tests
