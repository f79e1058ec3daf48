"""Stocktakes."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.errors import ValidationError
from inventory.models import Product
from inventory.services.counts import count_stock
from inventory.services.stock import record_movement

from ..conftest import ACTOR


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
