"""inventory: the root of the inventory package's branch (no tables yet)

Revision ID: inventory_root
Revises: 0001_kernel
Create Date: 2026-11-29
"""

from collections.abc import Sequence

revision: str = "inventory_root"
down_revision: str | Sequence[str] | None = "0001_kernel"
branch_labels: str | Sequence[str] | None = ("inventory",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
