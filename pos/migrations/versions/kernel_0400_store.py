"""kernel: the stores of the programme

Revision ID: kernel_0400_store
Revises: kernel_0300_sessions
Create Date: 2026-12-01

`charity init` makes store 01 from the [store] section when there is none (the migration cannot
read the configuration).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "kernel_0400_store"
down_revision: str | Sequence[str] | None = "kernel_0300_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "store",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=128), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("hours", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(code) = 2", name=op.f("ck_store_code_two_digits")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store")),
        sa.UniqueConstraint("code", name=op.f("uq_store_code")),
    )


def downgrade() -> None:
    op.drop_table("store")
