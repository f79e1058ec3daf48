"""A small store for checkout tests: products on the shelf, a card holder with money, clothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session
from stdnum.cn import ric

from cards.models import Card
from cards.services import cards as card_services
from cards.services import ledger, roster
from core.auth import Actor
from core.config import Settings
from core.money import Money
from inventory.models import Product
from inventory.services.products import create_product
from inventory.services.stock import record_movement
from tests.conftest import TEST_KEYS

ACTOR = Actor(None, "test")


def make_id(serial: int) -> str:
    body = f"41010819600101{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class Store:
    rice: Product  # 10.00 list, 5% -> 9.50
    oil: Product  # 30.30 list, 8% -> 27.88
    apples: Product  # weighed, 6.00/kg, 5%
    sweater: Product  # clothing, price 0
    card: Card  # 张三云, 50.00
    other_card: Card  # 李四, 0.00
    settings: Settings

    def stock(self, session: Session, product: Product) -> Decimal:
        session.rollback()  # end the read snapshot: see what the app committed
        return session.get(Product, product.id).stock  # type: ignore[union-attr]

    def balance(self, session: Session, card: Card | None = None) -> Money:
        session.rollback()  # end the read snapshot: see what the app committed
        return ledger.balance(session, (card or self.card).account_id)


@pytest.fixture
def store(session: Session, settings: Settings, clock: Any) -> Store:
    at = clock()

    def product(**kw: Any) -> Product:
        p = create_product(session, at=at, actor=ACTOR, settings=settings, **kw)
        record_movement(session, p, Decimal(20), "receipt", at=at, actor=ACTOR)
        return p

    rice = product(
        barcode="6901234567892",
        name="东北大米",
        spec="5kg",
        unit="袋",
        list_price=Money.parse("10.00"),
        discount_rate=Decimal("0.05"),
    )
    oil = product(
        barcode="6985430337657",
        name="鲁花菜籽油",
        spec="1.8L",
        unit="瓶",
        list_price=Money.parse("30.30"),
        discount_rate=Decimal("0.08"),
    )
    apples = product(
        barcode=None,
        name="苹果",
        unit="kg",
        list_price=Money.parse("6.00"),
        discount_rate=Decimal("0.05"),
        weighed=True,
    )
    sweater = product(
        barcode=None,
        name="毛衣 L 冬",
        unit="件",
        list_price=Money.zero(),
        clothing=True,
        source="donated",
    )
    rows = (
        "序号,姓名,身份证号,类别\r\n"
        + f"1,张三云,{make_id(1)},低保\r\n2,李四,{make_id(2)},优抚\r\n"
    )
    plan = roster.plan_import(
        session,
        rows.encode(),
        "t.csv",
        keys=TEST_KEYS,
        categories=settings.allowance.categories,
        at=at,
        tz=settings.tz,
    )
    roster.apply_import(
        session, plan, skip_invalid=False, exit_missing=False, at=at, actor=ACTOR, tz=settings.tz
    )
    card, other = card_services.issue_all(session, at=at, actor=ACTOR)
    ledger.adjust(
        session,
        card.account_id,
        Money.parse("50.00"),
        reason="测试充值",
        at=at,
        tz=settings.tz,
        actor=ACTOR,
        keys=TEST_KEYS,
    )
    session.commit()
    return Store(rice, oil, apples, sweater, card, other, settings)
