"""The stores of the programme: one charity supermarket each (code `01`, `02`, ...), with the
name, address, phone and hours its receipts and pages show. Cards and clothing allowances are
the programme's; stock, terminals, shifts and cash are each store's (issue [12]).

`charity init` makes store `01` from the `[store]` section when there is none, so a single store
on SQLite is the same thing as a programme with one store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.config import StoreSettings
from core.db import Base, UTCDateTime
from core.errors import Conflict, NotFound, ValidationError

FIRST_STORE = "01"
_CODE = re.compile(r"^[0-9]{2}$")


class Store(Base):
    """One store of the programme."""

    __tablename__ = "store"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(128), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    hours: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("length(code) = 2", name="code_two_digits"),)


@dataclass(frozen=True)
class StoreInfo:
    """A store as the command line, the pages and the receipts show it."""

    code: str
    name: str
    address: str
    phone: str
    hours: str

    @classmethod
    def of(cls, store: Store) -> StoreInfo:
        return cls(store.code, store.name, store.address, store.phone, store.hours)

    def to_json(self) -> dict[str, str]:
        """The contract's json of `charity store list`: `{code, name, address, phone, hours}`."""
        return {
            "code": self.code,
            "name": self.name,
            "address": self.address,
            "phone": self.phone,
            "hours": self.hours,
        }


def check_code(code: str) -> str:
    """A store code is two ASCII digits (`01`); anything else is refused, naming it."""
    code = code.strip()
    if not _CODE.match(code):
        raise ValidationError(f"门店编号应为两位数字（如 01、02），实际为 {code!r}")
    return code


def add_store(
    session: Session,
    code: str,
    *,
    name: str,
    address: str = "",
    phone: str = "",
    hours: str = "",
    at: datetime,
) -> Store:
    """Add a store; a code already taken is refused (Conflict), a blank name too."""
    code = check_code(code)
    name = name.strip()
    if not name:
        raise ValidationError("门店名称不能为空")
    for label, value, limit in (("名称", name, 64), ("地址", address, 128), ("电话", phone, 32)):
        if len(value) > limit:
            raise ValidationError(f"门店{label}最多 {limit} 个字符")
    if len(hours) > 64:
        raise ValidationError("营业时间最多 64 个字符")
    if session.scalar(select(Store.id).where(Store.code == code)) is not None:
        raise Conflict(f"门店编号 {code} 已存在")
    store = Store(
        code=code,
        name=name,
        address=address.strip(),
        phone=phone.strip(),
        hours=hours.strip(),
        created_at=at,
    )
    session.add(store)
    session.flush()
    return store


def ensure_first_store(session: Session, settings: StoreSettings, *, at: datetime) -> Store | None:
    """Store `01` from the `[store]` section when the programme has no store yet (`charity init`,
    the demo); the store made, or None when there already was one."""
    if session.scalar(select(Store.id).limit(1)) is not None:
        return None
    return add_store(
        session,
        FIRST_STORE,
        name=settings.name,
        address=settings.address,
        phone=settings.phone,
        hours=settings.hours,
        at=at,
    )


def list_stores(session: Session) -> list[StoreInfo]:
    """Every store, by code."""
    return [StoreInfo.of(s) for s in session.scalars(select(Store).order_by(Store.code))]


def store_by_code(session: Session, code: str) -> Store:
    """The store with `code`, or NotFound naming it."""
    store = session.scalar(select(Store).where(Store.code == check_code(code)))
    if store is None:
        raise NotFound(f"门店 {code} 不存在（charity store list 可查看已有门店）")
    return store
