"""inventory: quick keys and open-price items at the counter

Revision ID: inventory_0400_open_price
Revises: inventory_0300
Create Date: 2026-12-12

A product may take a place on the terminal's quick-key grid (goods without a barcode) and may be
sold at a price typed at the counter, with an upper bound and a threshold above which a
supervisor authorises it. Existing products have neither.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "inventory_0400_open_price"
down_revision: str | Sequence[str] | None = "inventory_0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quick_key", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("open_price", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("open_price_max_fen", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("open_price_supervisor_fen", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("open_price_supervisor_fen")
        batch_op.drop_column("open_price_max_fen")
        batch_op.drop_column("open_price")
        batch_op.drop_column("quick_key")
