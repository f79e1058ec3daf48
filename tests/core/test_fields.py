"""The kernel's one parser of typed quantities and amounts."""

from decimal import Decimal

import pytest
from pydantic import BaseModel, ValidationError

from core.fields import Amount, FieldError, Quantity, SignedAmount, parse_amount, parse_quantity
from core.money import Money


def test_quantities_weighed_and_counted() -> None:
    assert parse_quantity("2.5") == Decimal("2.5")
    assert parse_quantity(3) == Decimal(3)
    assert parse_quantity(" 0.512 ") == Decimal("0.512")


@pytest.mark.parametrize("bad", ["0", "-1", "1e3", "1_000", "２", "0.0001", "abc", 2.5, True, None])
def test_bad_quantities_name_the_field(bad: object) -> None:
    with pytest.raises(FieldError, match="数量"):
        parse_quantity(bad)


def test_quantity_bounds() -> None:
    assert parse_quantity("0", allow_zero=True) == 0
    with pytest.raises(FieldError, match="不超过 9999"):
        parse_quantity("10000", max_qty=Decimal(9999))


def test_amounts() -> None:
    assert parse_amount("12.34") == Money(1234)
    assert parse_amount("0", allow_zero=True) == Money(0)
    assert parse_amount("-5.00", signed=True) == Money(-500)
    for bad, kwargs in [
        ("0", {}),
        ("-1", {}),
        ("0", {"signed": True}),
        ("1.234", {}),
        ("1000000.01", {}),
        (1.5, {}),
    ]:
        with pytest.raises(FieldError, match="金额"):
            parse_amount(bad, **kwargs)


def test_pydantic_types_parse_and_serialise() -> None:
    class Body(BaseModel):
        qty: Quantity
        amount: Amount
        change: SignedAmount

    body = Body.model_validate({"qty": "2.500", "amount": "20", "change": "-3.5"})
    assert body.qty == Decimal("2.5") and body.amount == Money(2000) and body.change == Money(-350)
    assert body.model_dump(mode="json") == {"qty": "2.5", "amount": "20.00", "change": "-3.50"}
    with pytest.raises(ValidationError, match="数量"):
        Body.model_validate({"qty": "0", "amount": "1", "change": "1"})
