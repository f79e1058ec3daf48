"""cards: the root of the cards package's branch (no tables yet)

Revision ID: cards_root
Revises: 0001_kernel
Create Date: 2026-11-29
"""

from collections.abc import Sequence

revision: str = "cards_root"
down_revision: str | Sequence[str] | None = "0001_kernel"
branch_labels: str | Sequence[str] | None = ("cards",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
