"""cards: the history of every card's status (issue, freeze, unfreeze, replacement)

Revision ID: cards_0500_card_history
Revises: cards_0500_field_encryption
Create Date: 2026-12-02

Until now a freeze overwrote the card's previous state. `card_status_change` keeps one row per
change; existing cards get what is known of theirs: the issue (by whoever is recorded on a card
that never changed, else unknown), and the change to the current status when it is not active.
Both history tables (`card_status_change`, `beneficiary_status_change`) become append-only.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db
from core.db_migrations import append_only, drop_append_only

revision: str = "cards_0500_card_history"
down_revision: str | Sequence[str] | None = "cards_0500_field_encryption"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUARDED = ("card_status_change", "beneficiary_status_change")


def upgrade() -> None:
    op.create_table(
        "card_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", core.db.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_user.id"], name=op.f("fk_card_status_change_actor_id_staff_user")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"], ["card.id"], name=op.f("fk_card_status_change_card_id_card")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_status_change")),
    )
    with op.batch_alter_table("card_status_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_card_status_change_card_id"), ["card_id"], unique=False
        )
    op.execute(
        "INSERT INTO card_status_change "
        "(card_id, from_status, to_status, reason, at, actor_id, actor_name) "
        "SELECT id, NULL, 'active', '发卡', issued_at, "
        "CASE WHEN status = 'active' THEN actor_id END, "
        "CASE WHEN status = 'active' THEN actor_name ELSE '' END "
        "FROM card ORDER BY id"
    )
    op.execute(
        "INSERT INTO card_status_change "
        "(card_id, from_status, to_status, reason, at, actor_id, actor_name) "
        "SELECT id, 'active', status, status_reason, COALESCE(status_changed_at, issued_at), "
        "actor_id, actor_name FROM card WHERE status <> 'active' ORDER BY id"
    )
    append_only(
        *_GUARDED, function="cards_history_append_only", message="状态记录只能追加，不能修改或删除"
    )


def downgrade() -> None:
    drop_append_only(*_GUARDED, function="cards_history_append_only")
    with op.batch_alter_table("card_status_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_status_change_card_id"))
    op.drop_table("card_status_change")
