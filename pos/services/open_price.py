"""A supervisor's authorisation of one open price above its product's threshold: the supervisor
signs in at the counter for this one act (like a refund), and the terminal carries the answer,
a keyed MAC over (barcode, price, supervisor, store day), on the sale's line. The checkout checks
it; nothing is stored but the audit event of the authorisation."""

from __future__ import annotations

import hmac
from datetime import date, datetime

from sqlalchemy.orm import Session

from core import audit
from core.auth import Actor
from core.errors import Forbidden
from core.keys import DataKeys
from core.money import Money
from inventory.models import Product
from inventory.services.counter_keys import needs_supervisor

PURPOSE = "open-price-approval"


def _mac(keys: DataKeys, barcode: str, price: Money, supervisor_id: int, day: date) -> str:
    message = f"{barcode}|{price.fen}|{supervisor_id}|{day.isoformat()}".encode()
    return keys.mac(PURPOSE, message)[:32]


def approve(
    session: Session,
    product: Product,
    price: Money,
    *,
    keys: DataKeys,
    day: date,
    at: datetime,
    actor: Actor,
) -> str:
    """The authorisation of `price` for `product` by the signed-in supervisor `actor`, valid for
    the store day `day`; logged as a `price_change` event (flushes only)."""
    if actor.user_id is None:
        raise Forbidden("需要店长账号授权")
    audit.record(
        session,
        "price_change",
        actor=actor,
        at=at,
        subject=product.barcode,
        detail={"open_price": str(price), "name": product.name},
    )
    return f"{actor.user_id}.{_mac(keys, product.barcode, price, actor.user_id, day)}"


def check_approval(
    product: Product, price: Money, approval: str, *, keys: DataKeys | None, day: date, line: int
) -> None:
    """Forbidden unless `price` is within the product's threshold or `approval` authorises it."""
    if not needs_supervisor(product, price):
        return
    supervisor, _, mac = (approval or "").partition(".")
    ok = (
        keys is not None
        and supervisor.isdigit()
        and hmac.compare_digest(mac, _mac(keys, product.barcode, price, int(supervisor), day))
    )
    if not ok:
        limit = Money(product.open_price_supervisor_fen or 0)
        raise Forbidden(
            f"第 {line} 行：{product.name} 单价 {price.format()} 超过 {limit.format()}，需要店长授权"
        )
