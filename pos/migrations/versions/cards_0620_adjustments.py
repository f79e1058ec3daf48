"""cards: manual adjustments under dual control

Revision ID: cards_0620_adjustments
Revises: cards_0500_card_history
Create Date: 2026-12-01

`adjustment` records every manual credit or debit of a wallet: who made it and why, whether it
was posted at once (within `allowance.adjustment_limit`) or waits for a second bureau user, who
approved or rejected it (and why), and the ledger transaction that posted it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "cards_0620_adjustments"
down_revision: str | Sequence[str] | None = "cards_0500_card_history"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("client_ref", sa.String(length=64), nullable=True),
        sa.Column("made_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("made_by_id", sa.Integer(), nullable=True),
        sa.Column("made_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("txn_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'posted', 'rejected')", name=op.f("ck_adjustment_status")
        ),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_adjustment_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_adjustment_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["staff_user.id"],
            name=op.f("fk_adjustment_decided_by_id_staff_user"),
        ),
        sa.ForeignKeyConstraint(
            ["made_by_id"], ["staff_user.id"], name=op.f("fk_adjustment_made_by_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["txn_id"], ["ledger_txn.id"], name=op.f("fk_adjustment_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adjustment")),
        sa.UniqueConstraint("client_ref", name=op.f("uq_adjustment_client_ref")),
    )
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adjustment_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_adjustment_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adjustment_status"))
        batch_op.drop_index(batch_op.f("ix_adjustment_account_id"))

    op.drop_table("adjustment")
