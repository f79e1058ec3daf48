"""Products: the rate rules on save, barcodes, prices that may not be zero, in-store codes."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import Conflict, ValidationError
from core.money import Money
from inventory.models import Product
from inventory.services.products import create_product, ensure_product

from ..conftest import ACTOR, ean13

M = Money.parse


def test_product_gets_default_rate_by_category_then_default(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    settings = Settings().with_overrides(discount={"by_category": {"粮油": "0.08"}})
    oil = make_product(discount_rate=None, settings=settings)
    soap = make_product(discount_rate=None, category="日化", settings=settings)
    assert oil.discount_rate == Decimal("0.08")
    assert soap.discount_rate == Decimal("0.05")
    assert oil.charity_price == M("9.20")


@pytest.mark.parametrize("rate", ["0.04", "0.11", "0.5", "-0.05"])
def test_rate_out_of_range_refused_on_save(make_product: Callable[..., Product], rate: str) -> None:
    with pytest.raises(ValidationError, match="超出允许范围"):
        make_product(discount_rate=Decimal(rate))


def test_rate_range_comes_from_config(make_product: Callable[..., Product]) -> None:
    settings = Settings().with_overrides(discount={"min_rate": "0.02", "max_rate": "0.20"})
    assert make_product(discount_rate=Decimal("0.15"), settings=settings).discount_bp == 1500


def test_bad_barcodes_refused(make_product: Callable[..., Product]) -> None:
    with pytest.raises(ValidationError, match="校验位错误"):
        make_product(barcode="6987013843297")
    with pytest.raises(ValidationError, match="长度"):
        make_product(barcode="12345")
    with pytest.raises(ValidationError, match="电子秤前缀"):
        make_product(barcode=ean13("210000000001"))
    # EAN-8 and UPC-A are fine
    assert make_product(barcode="96385074").barcode == "96385074"
    assert make_product(barcode="036000291452").barcode == "036000291452"
    first = make_product(barcode="6987013843296")
    assert first.id
    with pytest.raises(Conflict, match="6987013843296"):
        make_product(barcode="6987013843296")


def test_negative_or_zero_price_refused_but_clothing_may_be_free(
    make_product: Callable[..., Product],
) -> None:
    with pytest.raises(ValidationError, match="负数"):
        make_product(list_price=M("-1.00"))
    with pytest.raises(ValidationError, match="不能为 0"):
        make_product(list_price=M("0"))
    shirt = make_product(barcode=None, list_price=M("0"), clothing=True, discount_rate=None)
    assert shirt.barcode.startswith("29") and shirt.clothing and shirt.charity_price == M("0")


def test_ensure_product_allocates_instore_codes_and_returns_existing(
    session: Session, clock: Any
) -> None:
    kw: dict[str, Any] = dict(
        spec="XL",
        unit="件",
        category="衣物",
        list_price=M("0"),
        discount_rate=None,
        clothing=True,
        source="donated",
        at=clock(),
        actor=ACTOR,
    )
    a = ensure_product(session, barcode=None, name="外套", **kw)
    b = ensure_product(session, barcode=None, name="毛衣", **kw)
    assert a.barcode == "2900000000018" and b.barcode == "2900000000025"
    assert ensure_product(session, barcode=b.barcode, name="别的", **kw) is b


def test_create_product_directly_with_reorder_level(session: Session, clock: Any) -> None:
    p = create_product(
        session,
        barcode=ean13("690000999999"),
        name="立白牙刷",
        unit="组",
        list_price=M("11.20"),
        reorder_level=Decimal(10),
        at=clock(),
        actor=ACTOR,
    )
    assert p.reorder_level == Decimal(10) and p.discount_rate == Decimal("0.05")
