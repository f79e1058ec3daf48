"""inventory: stock movements and price history are append-only in the database too

Revision ID: inventory_0300
Revises: inventory_0200
Create Date: 2026-11-29

The ORM already refuses to change or delete these rows; a trigger makes the database refuse it
as well (a hand-edited row would otherwise break "stock = sum of movements" silently).
"""

from collections.abc import Sequence

from core.db_migrations import append_only, drop_append_only

revision: str = "inventory_0300"
down_revision: str | Sequence[str] | None = "inventory_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUARDED = ("stock_movement", "product_price")
_MESSAGE = "库存流水与价格记录只能追加，不能修改或删除"


def upgrade() -> None:
    append_only(*_GUARDED, function="inventory_append_only", message=_MESSAGE)


def downgrade() -> None:
    drop_append_only(*_GUARDED, function="inventory_append_only")
