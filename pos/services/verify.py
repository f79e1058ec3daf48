"""`charity ledger verify`: every package's own consistency checks, run together, and the seals
an auditor brings.

A check is a function `(session, keys) -> CheckResult`; `CHECKS` are those always run, and a
caller adds its own with `extra_checks` (e.g. closed months' stored statements against a
recomputation)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session

from cards.hooks import CardsHooks
from cards.services.month_close import check_closed_months, closed_months
from cards.services.seals import Seal, check_seal
from cards.services.verify import verify_ledger
from core.checks import CheckResult
from core.config import Settings
from core.keys import DataKeys
from inventory.services.stock import verify_stock
from pos.services.reconcile import reconcile_sales

Check = Callable[[Session, DataKeys], CheckResult]


def _ledger(session: Session, keys: DataKeys) -> CheckResult:
    return verify_ledger(session, keys)


def _stock(session: Session, keys: DataKeys) -> CheckResult:
    return verify_stock(session)


def _sales(session: Session, keys: DataKeys) -> CheckResult:
    return reconcile_sales(session)


CHECKS: tuple[Check, ...] = (_ledger, _stock, _sales)


def closed_months_check(settings: Settings, hooks: CardsHooks) -> Check:
    """Every closed month's stored statement (and seal) against a recomputation under
    `settings`, with the sales and clothing figures of `hooks` (the app's)."""

    def check(session: Session, keys: DataKeys) -> CheckResult:
        problems = check_closed_months(session, settings, hooks)
        closed = len(closed_months(session))
        summary = f"已结账的 {closed} 个月：" + (
            "报表与重新计算一致" if not problems else "报表不符"
        )
        return CheckResult(summary, problems)

    return check


def verify_all(
    session: Session,
    keys: DataKeys,
    *,
    seals: Sequence[Seal] = (),
    seal_keys: DataKeys | None = None,
    extra_checks: Sequence[Check] = (),
) -> tuple[list[str], list[str]]:
    """(problems, what was checked): problems empty means everything adds up and every seal
    holds. `seal_keys`: the seals were made under that (older) key, before a rotation."""
    problems: list[str] = []
    checked: list[str] = []
    for check in (*CHECKS, *extra_checks):
        result = check(session, keys)
        problems.extend(result.problems)
        checked.append(result.summary)
    for seal in seals:
        if seal_keys is None:
            found = check_seal(session, keys, seal)
        else:
            found = check_seal(session, seal_keys, seal, relink=True)
        problems.extend(found)
        checked.append(f"封印 {seal}：" + ("与账本相符" if not found else "不符"))
    return problems, checked
