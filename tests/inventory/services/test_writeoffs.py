"""Write-offs: a positive quantity taken out of stock, with a reason."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.errors import ValidationError
from inventory.models import Product
from inventory.services.receiving import receive_stock
from inventory.services.writeoffs import write_off

from ..conftest import ACTOR


def test_write_off_takes_stock_out_with_the_reason(
    session: Session, make_product: Callable[..., Product], clock: Any
) -> None:
    p = make_product()
    receive_stock(session, p, Decimal(5), at=clock(), actor=ACTOR)
    m = write_off(session, p, Decimal(2), reason="过期", at=clock(), actor=ACTOR)
    assert m.kind == "writeoff" and m.qty == Decimal(-2) and m.reason == "过期"
    assert p.stock == Decimal(3)
    with pytest.raises(ValidationError, match="原因"):
        write_off(session, p, Decimal(1), reason=" ", at=clock(), actor=ACTOR)
    with pytest.raises(ValidationError, match="负数"):
        write_off(session, p, Decimal(-1), reason="x", at=clock(), actor=ACTOR)
    assert p.stock == Decimal(3)
