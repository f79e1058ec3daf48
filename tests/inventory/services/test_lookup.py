"""Lookup (scale barcodes included) and line prices."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import UnknownProduct, ValidationError
from core.money import Money
from inventory.models import Product
from inventory.services.lookup import lookup, price_line, price_scan
from inventory.services.scale import make_scale_code

M = Money.parse


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
