"""printing: the root of the printing package's branch (no tables yet)

Revision ID: printing_root
Revises: 0001_kernel
Create Date: 2026-11-29
"""

from collections.abc import Sequence

revision: str = "printing_root"
down_revision: str | Sequence[str] | None = "0001_kernel"
branch_labels: str | Sequence[str] | None = ("printing",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
