"""clothing: the root of the clothing package's branch (no tables yet)

Revision ID: clothing_root
Revises: 0001_kernel
Create Date: 2026-11-29
"""

from collections.abc import Sequence

revision: str = "clothing_root"
down_revision: str | Sequence[str] | None = "0001_kernel"
branch_labels: str | Sequence[str] | None = ("clothing",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
