"""The generated two-month store of bench/bench_books.py: 200 people (a generated roster), the
demo catalog, thousands of card and cash sales across November and December 2026 made through
the checkout service at a clock that moves through the days, refunds (November sales refunded in
December, December's last ones in January), the expiry of November's unspent credit, category
changes, adjustments under dual control, top-ups posted on time, both months closed. Every step
goes through the project's own services, one transaction per step, as the app would."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.demo import demo_roster
from cards.hooks import CardsHooks
from cards.models import Account, Card
from cards.services import adjustments, cards, month_close, roster, topup
from core.auth import Actor, Role, add_user
from core.config import Settings
from core.db import Database
from core.errors import ValidationError
from core.keys import DataKeys
from core.money import Money
from core.periods import Month
from inventory.models import Product
from inventory.services.catalog import import_catalog
from inventory.services.products import create_product
from inventory.services.receiving import receive_stock
from pos.models import Shift
from pos.services import refunds
from pos.services.checkout import LineRequest, SaleRequest, checkout, quote
from pos.services.sales import get_sale
from pos.services.shifts import DENOMINATIONS, close_shift, open_shift
from pos.services.totals import shift_totals

PEOPLE = 200
TERMINALS = ("01", "02")
FIRST_DAY, LAST_DAY = date(2026, 11, 1), date(2026, 12, 31)


class Clock:
    """A clock the generator sets and moves through the days (store time)."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, day: date, hour: int, minute: int = 0) -> None:
        self.at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.at.tzinfo)


@dataclass
class Staff:
    cashiers: list[Actor]
    supervisor: Actor
    bureau: Actor  # the maker
    bureau2: Actor  # the checker
    system: Actor = field(default_factory=lambda: Actor.system("bench"))


@dataclass
class Generated:
    """What the generator did, and what the report needs afterwards."""

    sales: int = 0
    card_sales: int = 0
    cash_sales: int = 0
    without_card: int = 0
    refunds: int = 0
    refunds_across_months: int = 0
    adjustments: dict[str, str] = field(default_factory=dict)  # what -> status
    category_changes: list[str] = field(default_factory=list)
    early_topup_refused: str = ""
    closes: dict[str, dict[str, Any]] = field(default_factory=dict)  # month -> close's json
    seals: dict[str, str] = field(default_factory=dict)
    card_sale_nos: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def cash_counts(fen: int) -> dict[str, int]:
    """A blind count that finds exactly `fen` (largest notes first)."""
    counts: dict[str, int] = {}
    for text in sorted(DENOMINATIONS, key=lambda d: -Money.parse(d).fen):
        value = Money.parse(text).fen
        if fen >= value:
            counts[text], fen = fen // value, fen % value
    return counts


def roster_with(data: bytes, changes: dict[int, str]) -> bytes:
    """The roster file again, with row `n`'s category (1-based) changed."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    column = rows[0].index("类别")
    for n, category in changes.items():
        rows[n][column] = category
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


class Store:
    """The generator: `run()` makes the two months."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        keys: DataKeys,
        hooks: CardsHooks,
        *,
        sales: int,
        seed: int = 10,
    ) -> None:
        self.db, self.settings, self.keys, self.hooks = db, settings, keys, hooks
        self.tz = settings.tz
        self.rng = random.Random(seed)
        self.target = sales
        self.clock = Clock(datetime(2026, 11, 1, 8, tzinfo=self.tz))
        self.out = Generated()
        self.roster = demo_roster(PEOPLE, seed=seed)
        self.categories: dict[int, str] = {}
        self.refunds_due: dict[date, list[str]] = {}
        self.clothing_given: set[int] = set()
        self.refunded: set[str] = set()

    # --- setup -----------------------------------------------------------------------------

    def setup(self) -> None:
        at = self.clock()
        with self.db.transaction() as s:

            def user(name: str, role: Role) -> Actor:
                return Actor.of(add_user(s, name, "bench-password-1", role, at=at))

            self.staff = Staff(
                [user(f"till{t}", Role.CASHIER) for t in TERMINALS],
                user("supervisor", Role.SUPERVISOR),
                user("bureau", Role.BUREAU),
                user("bureau2", Role.BUREAU),
            )
            self._import_roster(s, self.roster)
            cards.issue_all(s, at=at, actor=self.staff.system)
            data = resources.files("inventory").joinpath("demo_data/products.csv").read_bytes()
            import_catalog(
                s, data, "products.csv", commit=True, at=at, actor=self.staff.system,
                settings=self.settings,
            )  # fmt: skip
            products = list(s.scalars(select(Product).where(Product.active).order_by(Product.id)))
            for product in products:
                receive_stock(
                    s, product, Decimal(20_000), at=at, actor=self.staff.system, reason="备货"
                )
            sweater = create_product(
                s, barcode=None, name="毛衣 L 冬", unit="件", list_price=Money.zero(),
                clothing=True, source="donated", at=at, actor=self.staff.system,
                settings=self.settings,
            )  # fmt: skip
            receive_stock(s, sweater, Decimal(1000), at=at, actor=self.staff.system)
            self.barcodes = [p.barcode for p in products]
            self.sweater = sweater.barcode
            rows = s.execute(select(Card.card_no, Account.id).join(Account)).all()
            self.cards = [
                card_no for card_no, _ in sorted(rows, key=lambda r: r[1])
            ]  # by account: card numbers are random
            self.accounts = {card_no: account for card_no, account in rows}

    def _import_roster(self, s: Session, data: bytes) -> int:
        plan = roster.plan_import(
            s, data, "名册.csv", keys=self.keys, categories=self.settings.allowance.categories,
            at=self.clock(), tz=self.tz,
        )  # fmt: skip
        assert not plan.errors, plan.errors[:3]
        record = roster.apply_import(
            s, plan, skip_invalid=False, exit_missing=False, at=self.clock(),
            actor=self.staff.system, tz=self.tz,
        )  # fmt: skip
        return 0 if record is None else record.changed

    # --- one step each -----------------------------------------------------------------------

    def topup(self, month: Month) -> None:
        with self.db.transaction() as s:
            topup.require_month_begun(self.settings, month, self.clock())
            outcome = topup.run_topup(
                s, self.settings, month, at=self.clock(), actor=self.staff.bureau, keys=self.keys
            )
            assert outcome.posted, month

    def try_early_topup(self, month: Month) -> None:
        try:
            topup.require_month_begun(self.settings, month, self.clock())
        except ValidationError as refused:
            self.out.early_topup_refused = str(refused)
        else:
            raise AssertionError(f"{month} could be posted on {self.clock():%Y-%m-%d}")

    def change_category(self, row: int, category: str) -> None:
        self.categories[row] = category
        with self.db.transaction() as s:
            changed = self._import_roster(s, roster_with(self.roster, self.categories))
        assert changed == 1, changed
        self.out.category_changes.append(f"{self.clock():%Y-%m-%d} 名册第 {row} 人 → {category}")

    def adjust_round(self, card_no: str, other: str) -> None:
        """A small adjustment (posted at once), one above the limit approved by the second
        bureau user, one rejected; the maker may not decide her own."""
        allowance, at = self.settings.allowance, self.clock()
        with self.db.transaction() as s:
            small = adjustments.make_adjustment(
                s, allowance, self.accounts[card_no], Money.parse("20.00"), reason="补发漏充",
                at=at, tz=self.tz, actor=self.staff.bureau, keys=self.keys,
            )  # fmt: skip
            big = [
                adjustments.make_adjustment(
                    s,
                    allowance,
                    self.accounts[other],
                    Money.parse(amount),
                    reason="困难补助",
                    at=at,
                    tz=self.tz,
                    actor=self.staff.bureau,
                    keys=self.keys,
                )
                for amount in ("150.00", "500.00")
            ]
        with self.db.transaction() as s:
            approved = adjustments.approve_adjustment(
                s, big[0].id, at=at, tz=self.tz, actor=self.staff.bureau2, keys=self.keys
            )
            rejected = adjustments.reject_adjustment(
                s, big[1].id, reason="金额有误，请核实", at=at, actor=self.staff.bureau2
            )
        day = f"{at:%m-%d}"
        self.out.adjustments[f"{day} 20.00（限额内）"] = small.status
        self.out.adjustments[f"{day} 150.00（超限额，复核）"] = approved.status
        self.out.adjustments[f"{day} 500.00（超限额，复核）"] = rejected.status

    def close(self, month: Month) -> None:
        with self.db.transaction() as s:
            outcome = month_close.close_month(
                s, self.settings, month, self.hooks, at=self.clock(), actor=self.staff.bureau
            )
        assert not outcome.already
        self.out.closes[str(month)] = outcome.statement.to_json()
        self.out.seals[str(month)] = outcome.seal

    def open_shifts(self) -> None:
        with self.db.transaction() as s:
            for terminal, cashier in zip(TERMINALS, self.staff.cashiers, strict=True):
                open_shift(
                    s, actor=cashier, terminal=terminal, opening_float=Money.parse("200.00"),
                    at=self.clock(),
                )  # fmt: skip

    def close_shifts(self) -> None:
        with self.db.transaction() as s:
            for shift in s.scalars(select(Shift).where(Shift.status == "open")):
                expected = shift_totals(s, shift).expected_cash.fen
                counts = cash_counts(expected)  # the fen below the smallest coin: a variance
                close_shift(
                    s, shift, counts=counts, reason="分币找零尾差", at=self.clock(),
                    actor=self.staff.supervisor, settings=self.settings,
                )  # fmt: skip

    def refund(self, sale_no: str, *, partial: bool) -> None:
        with self.db.transaction() as s:
            lines = None
            if partial:
                sale = get_sale(s, sale_no)
                lines = [LineRequest(sale.lines[0].barcode, Decimal(1))]
            made = refunds.refund(
                s, sale_no, refunds.RefundRequest("顾客退货", lines=lines), at=self.clock(),
                actor=self.staff.supervisor, settings=self.settings, keys=self.keys,
            )  # fmt: skip
            sold = made.refund.sale.at.astimezone(self.tz)
        self.out.refunds += 1
        self.refunded.add(sale_no)
        if (sold.year, sold.month) != (self.clock().year, self.clock().month):
            self.out.refunds_across_months += 1

    def sell(self, terminal: int) -> None:
        rng = self.rng
        card_no = rng.choice(self.cards) if rng.random() < 0.85 else None
        picks = rng.sample(self.barcodes, rng.randint(1, 3))
        lines = [LineRequest(b, Decimal(rng.choice((1, 1, 2)))) for b in picks]
        if card_no and rng.random() < 0.04:
            account = self.accounts[card_no]
            if account not in self.clothing_given:  # one item a quarter
                self.clothing_given.add(account)
                lines.append(LineRequest(self.sweater, Decimal(1)))
        with self.db.transaction() as s:
            total = quote(s, lines, card_no=card_no, settings=self.settings).total
            paid_card = Money.zero()
            if card_no:
                balance = Money(s.get(Account, self.accounts[card_no]).balance_fen)  # type: ignore[union-attr]
                paid_card = min(balance, total) if rng.random() < 0.95 else Money.zero()
            request = SaleRequest(
                client_ref=f"bench-{rng.getrandbits(64):016x}", lines=lines, card_no=card_no,
                paid_card=paid_card, paid_cash=total - paid_card,
            )  # fmt: skip
            result = checkout(
                s, request, at=self.clock(), actor=self.staff.cashiers[terminal],
                terminal=TERMINALS[terminal], settings=self.settings,
                allowance=self.hooks.clothing_allowance, keys=self.keys,
            )  # fmt: skip
            sale_no = result.sale.sale_no
        self.out.sales += 1
        if paid_card:
            self.out.card_sales += 1
            self.out.card_sale_nos.append(sale_no)
        else:
            self.out.cash_sales += 1
            self.out.without_card += card_no is None
        roll = rng.random()
        if roll < 0.03:  # refunded one to eight days later, whole or one unit
            later = self.clock().date() + timedelta(days=rng.randint(1, 8))
            self.refunds_due.setdefault(later, []).append(sale_no)

    # --- the two months ------------------------------------------------------------------------

    def days(self) -> Iterator[date]:
        day = FIRST_DAY
        while day <= LAST_DAY:
            yield day
            day += timedelta(days=1)

    def run(self, timed: Callable[[str], Any]) -> Generated:
        with timed("setup: users, 200 people and cards, catalog and stock"):
            self.setup()
        self.clock.set(FIRST_DAY, 8, 30)
        with timed("top-up 2026-11"):
            self.topup(Month(2026, 11))
        per_day, extra = divmod(self.target, (LAST_DAY - FIRST_DAY).days + 1)
        with timed("November: sales, refunds, category change, adjustments"):
            for n, day in enumerate(self.days()):
                if day == date(2026, 12, 1):
                    break
                self.business_day(day, per_day + (n < extra))
        with timed("December: top-up (expiry first), November close, sales, refunds"):
            for n, day in enumerate(self.days()):
                if day >= date(2026, 12, 1):
                    self.business_day(day, per_day + (n < extra))
        with timed("January: late refunds, December close, later changes"):
            self.january()
        return self.out

    def business_day(self, day: date, sales: int) -> None:
        if day == date(2026, 11, 30):
            self.clock.set(day, 7)
            self.try_early_topup(Month(2026, 12))
        if day == date(2026, 12, 1):
            self.clock.set(day, 7, 30)
            self.topup(Month(2026, 12))  # lapses what is left of November first
        self.clock.set(day, 8)
        self.open_shifts()
        for k, sale_no in enumerate(self.refunds_due.pop(day, [])):
            self.clock.at = self.at(day, 8, 5) + timedelta(seconds=20 * k)
            self.refund(sale_no, partial=k % 3 == 1)
        if day == date(2026, 11, 15):
            self.clock.set(day, 8, 45)
            self.change_category(1, "特困" if self.roster_category(1) != "特困" else "低保")
        if day == date(2026, 11, 20):
            self.clock.set(day, 8, 50)
            self.adjust_round(self.cards[7], self.cards[8])
        if day == date(2026, 12, 2):
            self.clock.set(day, 8, 55)
            self.close(Month(2026, 11))
            late = [n for n in self.out.card_sale_nos if n.startswith("202611")]
            for k, sale_no in enumerate([n for n in late if n not in self.refunded][-2:]):
                self.clock.set(day, 8, 58 + k)
                self.refund(sale_no, partial=k == 1)  # November sales, refunded after its close
        if day == date(2026, 12, 10):  # after the November close: December's own
            self.clock.set(day, 8, 50)
            self.adjust_round(self.cards[9], self.cards[10])
        gap = 9 * 60 * 60 // max(sales, 1)  # seconds between sales, 09:00-18:00
        for i in range(sales):
            self.clock.at = self.at(day, 9) + timedelta(seconds=i * gap)
            self.sell(i % len(TERMINALS))
        self.clock.set(day, 18, 30)
        self.close_shifts()

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def roster_category(self, row: int) -> str:
        rows = list(csv.reader(io.StringIO(self.roster.decode("utf-8-sig"))))
        return self.categories.get(row, rows[row][rows[0].index("类别")])

    def january(self) -> None:
        day = date(2027, 1, 1)
        self.clock.set(day, 8)
        self.open_shifts()
        late = [n for d in sorted(self.refunds_due) for n in self.refunds_due[d]]
        self.refunds_due.clear()
        for k, sale_no in enumerate(late):  # December's last refunds, made in January
            self.clock.at = self.at(day, 8, 5) + timedelta(seconds=20 * k)
            self.refund(sale_no, partial=False)
        self.clock.set(day, 9, 30)
        self.close(Month(2026, 12))
        self.clock.set(day, 10)
        self.topup(Month(2027, 1))  # lapses what is left of December
        self.clock.set(day, 10, 30)
        self.change_category(2, "优抚" if self.roster_category(2) != "优抚" else "低保")
        for i in range(20):
            self.clock.set(day, 11, i)
            self.sell(i % len(TERMINALS))
        dec = [n for n in self.out.card_sale_nos if n.startswith("202612")]
        self.clock.set(day, 12)  # one more December sale refunded after the December close
        self.refund(next(n for n in dec if n not in self.refunded), partial=False)
        self.clock.set(day, 17)
        with self.db.transaction() as s:  # the last transaction: a small adjustment
            adjustments.make_adjustment(
                s, self.settings.allowance, self.accounts[self.cards[11]], Money.parse("5.00"),
                reason="补差价", at=self.clock(), tz=self.tz, actor=self.staff.bureau,
                keys=self.keys,
            )  # fmt: skip
        self.clock.set(day, 18)
        self.close_shifts()
