"""Products, the rate rules, dated prices, stock movements, lookup and line prices."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.auth import Actor
from core.config import Settings
from core.errors import Conflict, UnknownProduct, ValidationError
from core.money import Money
from inventory.models import Product, StockMovement
from inventory.scale import make_scale_code
from inventory.services import (
    count_stock,
    create_product,
    ensure_product,
    lookup,
    price_at,
    price_history,
    price_line,
    price_scan,
    record_movement,
    update_product,
    verify_stock,
)

from .conftest import ACTOR, ean13

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


def test_price_change_is_a_dated_row(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    p = make_product(list_price=M("9.90"))
    first = clock()
    clock.advance(days=3)
    changed = update_product(
        session, p, list_price=M("10.90"), discount_rate=Decimal("0.10"), at=clock(), actor=ACTOR
    )
    assert changed and p.charity_price == M("9.81")
    history = price_history(session, p)
    assert [(h.list_price, h.discount_rate) for h in history] == [
        (M("9.90"), Decimal("0.05")),
        (M("10.90"), Decimal("0.1")),
    ]
    assert price_at(session, p, first).charity_price == M("9.41")  # type: ignore[union-attr]
    assert update_product(session, p, list_price=M("10.90"), at=clock(), actor=ACTOR) == []
    assert len(price_history(session, p)) == 2
    with pytest.raises(ValidationError, match="超出允许范围"):
        update_product(session, p, discount_rate=Decimal("0.2"), at=clock(), actor=ACTOR)


def test_movements_move_the_cached_stock_and_verify(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    p = make_product()
    record_movement(
        session,
        p,
        Decimal(10),
        "receipt",
        at=clock(),
        actor=ACTOR,
        unit_cost=M("8.00"),
        supplier="郑州粮油公司",
    )
    record_movement(session, p, Decimal(-3), "sale", at=clock(), actor=ACTOR, reference="S1")
    record_movement(session, p, Decimal(1), "refund", at=clock(), actor=ACTOR)
    record_movement(session, p, Decimal(-2), "writeoff", at=clock(), actor=ACTOR, reason="过期")
    assert p.stock_milli == 6000 and p.stock == Decimal(6)
    result = verify_stock(session)
    assert result.ok, result.problems
    session.execute(update(Product).where(Product.id == p.id).values(stock_milli=1))
    result = verify_stock(session)
    assert not result.ok and p.barcode in result.problems[0]


@pytest.mark.parametrize(
    ("kind", "qty"), [("sale", 1), ("receipt", -1), ("writeoff", 2), ("refund", -1), ("x", 1)]
)
def test_movement_signs_are_checked(
    make_product: Callable[..., Product], session: Session, clock: Any, kind: str, qty: int
) -> None:
    with pytest.raises(ValidationError):
        record_movement(session, make_product(), Decimal(qty), kind, at=clock(), actor=ACTOR)


def test_selling_below_zero_allowed_unless_blocked(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    p = make_product(name="鲁花菜籽油")
    record_movement(session, p, Decimal(-1), "sale", at=clock(), actor=ACTOR)
    assert p.stock_milli == -1000
    with pytest.raises(Conflict, match=r"鲁花菜籽油.*现有 -1"):
        record_movement(
            session, p, Decimal(-1), "sale", at=clock(), actor=ACTOR, block_negative=True
        )
    assert p.stock_milli == -1000
    assert session.scalar(select(func.count(StockMovement.id))) == 1


def test_movements_are_append_only(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    m = record_movement(session, make_product(), Decimal(5), "receipt", at=clock(), actor=ACTOR)
    m.qty_milli = 1
    with pytest.raises(RuntimeError, match="只能追加"):
        session.flush()


def test_the_database_refuses_to_edit_or_delete_movements_and_prices(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    """Past the ORM (a hand-written statement), a trigger still refuses."""
    p = make_product()
    record_movement(session, p, Decimal(5), "receipt", at=clock(), actor=ACTOR)
    session.commit()
    for statement in (
        "UPDATE stock_movement SET qty_milli = 1",
        "DELETE FROM stock_movement",
        "UPDATE product_price SET list_price_fen = 1",
        "DELETE FROM product_price",
    ):
        with pytest.raises(DBAPIError, match="只能追加"):
            session.execute(text(statement))
        session.rollback()


def test_stocktake_records_the_difference_with_reason(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    p = make_product()
    record_movement(session, p, Decimal(10), "receipt", at=clock(), actor=ACTOR)
    m = count_stock(session, p, Decimal(7), reason="破包", at=clock(), actor=ACTOR)
    assert m is not None and m.kind == "count" and m.qty == Decimal(-3)
    assert "账面 10" in (m.reason or "") and "实盘 7" in (m.reason or "")
    assert p.stock == Decimal(7)
    assert count_stock(session, p, Decimal(7), reason="复盘", at=clock(), actor=ACTOR) is None
    with pytest.raises(ValidationError, match="原因"):
        count_stock(session, p, Decimal(8), reason=" ", at=clock(), actor=ACTOR)


def test_actor_is_recorded(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    m = record_movement(
        session, make_product(), Decimal(1), "receipt", at=clock(), actor=Actor(None, "cli:li")
    )
    assert m.actor_name == "cli:li" and m.at == clock()


def test_price_line_for_pieces_and_weights(
    session: Session, make_product: Callable[..., Product]
) -> None:
    p = make_product(list_price=M("9.90"))
    line = price_line(p, Decimal(3), charity=True)
    assert (line.unit_list, line.unit_price, line.list_total, line.total, line.discount) == (
        M("9.90"),
        M("9.41"),
        M("29.70"),
        M("28.23"),
        M("1.47"),
    )
    public = price_line(p, Decimal(2), charity=False)
    assert public.unit_price == M("9.90") and public.discount == M("0")
    with pytest.raises(ValidationError, match="整数"):
        price_line(p, Decimal("1.5"), charity=True)
    rice = make_product(
        barcode=None, name="散装大米", unit="kg", weighed=True, list_price=M("5.98")
    )
    line = price_line(rice, Decimal("1.235"), charity=True)
    # 5.98 at 5% = 5.681 -> 5.68; x 1.235 = 7.0148 -> 7.01; list 5.98 x 1.235 = 7.3853 -> 7.39
    assert (line.unit_price, line.total, line.list_total, line.discount) == (
        M("5.68"),
        M("7.01"),
        M("7.39"),
        M("0.38"),
    )
    with pytest.raises(ValidationError, match="3 位小数"):
        price_line(rice, Decimal("1.2345"), charity=True)


def test_lookup_by_barcode_and_scale_codes(
    session: Session, make_product: Callable[..., Product]
) -> None:
    p = make_product(barcode="6987013843296")
    assert lookup(session, " 6987013843296 ").product is p
    with pytest.raises(UnknownProduct, match="6900000000000"):
        lookup(session, "6900000000000")
    rice = make_product(
        barcode=None, name="散装大米", unit="kg", weighed=True, list_price=M("6.00")
    )
    assert rice.plu == "00001"
    layout = Settings().inventory
    priced = make_scale_code(layout, "00001", amount=M("7.50"))
    scan = lookup(session, priced)
    assert scan.product is rice and scan.amount == M("7.50") and scan.qty == Decimal("1.250")
    line = price_scan(scan, charity=True)
    assert line.list_total == M("7.50") and line.total == M("7.13")  # 712.5 -> 713
    both = make_scale_code(layout, "00001", weight=Decimal("0.512"), amount=M("3.07"))
    assert len(both) == 18
    scan = lookup(session, both)
    assert scan.qty == Decimal("0.512") and scan.amount == M("3.07")
    weights = Settings().with_overrides(inventory={"scale_value": "weight"})
    code = make_scale_code(weights.inventory, "00001", weight=Decimal("2.5"))
    scan = lookup(session, code, settings=weights)
    assert scan.qty == Decimal("2.5") and scan.amount is None
    assert price_scan(scan, charity=False).total == M("15.00")
    with pytest.raises(UnknownProduct, match="00009"):
        lookup(session, make_scale_code(layout, "00009", amount=M("1.00")))
    bad_check = priced[:-1] + str((int(priced[-1]) + 1) % 10)
    with pytest.raises(UnknownProduct):
        lookup(session, bad_check)


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
