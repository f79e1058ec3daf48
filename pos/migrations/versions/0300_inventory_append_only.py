"""inventory: stock movements and price history are append-only in the database too

Revision ID: inventory_0300
Revises: inventory_0200
Create Date: 2026-11-29

The ORM already refuses to change or delete these rows; a trigger makes the database refuse it
as well (a hand-edited row would otherwise break "stock = sum of movements" silently).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "inventory_0300"
down_revision: str | Sequence[str] | None = "inventory_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUARDED = ("stock_movement", "product_price")
_MESSAGE = "库存流水与价格记录只能追加，不能修改或删除"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION inventory_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{_MESSAGE}（表 %）', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in _GUARDED:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION inventory_append_only()"
            )
    elif bind.dialect.name == "sqlite":
        for table in _GUARDED:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
                )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in _GUARDED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS inventory_append_only()")
    elif bind.dialect.name == "sqlite":
        for table in _GUARDED:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
