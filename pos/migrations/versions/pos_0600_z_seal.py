"""pos: the ledger's seal on each Z report

Revision ID: pos_0600_z_seal
Revises: pos_0500_sale_numbers
Create Date: 2026-12-12

`shift.z_seal` keeps the ledger's seal (`SEQ:HASH`, cards.services.seals) current when the shift
closed; the Z report prints it, so a copy of the books' state lives on paper. Shifts closed
before stay without one.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pos_0600_z_seal"
down_revision: str | Sequence[str] | None = "pos_0500_sale_numbers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.add_column(sa.Column("z_seal", sa.String(length=96), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_column("z_seal")
