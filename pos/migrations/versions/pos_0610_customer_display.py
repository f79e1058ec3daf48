"""pos: the customer display's state per terminal

Revision ID: pos_0610_customer_display
Revises: pos_0600_qr_tender
Create Date: 2026-12-12
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "pos_0610_customer_display"
down_revision: str | Sequence[str] | None = "pos_0600_qr_tender"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_display",
        sa.Column("terminal", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("terminal", name=op.f("pk_customer_display")),
    )


def downgrade() -> None:
    op.drop_table("customer_display")
