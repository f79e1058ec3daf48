"""cards: each wallet posting keeps its category; fixed top-up runs; month close

Revision ID: cards_0610_posting_category
Revises: cards_0620_adjustments
Create Date: 2026-12-03

- `ledger_posting.category`: the roster category the person had when the money moved, so the
  fund statement groups by it and a later change of category does not restate a month. Existing
  wallet postings get the person's category of today (all that is known).
- `topup_run_line`: the accounts and amounts of a run, fixed when it is prepared; `topup_run`
  gains the status `approved` (approved before its month began: posted when the month begins)
  and `skipped_json` (who was no longer eligible when it was posted).
- `month_close`: a closed month's stored statement and seal.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "cards_0610_posting_category"
down_revision: str | Sequence[str] | None = "cards_0620_adjustments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "账本分录只能追加，不能修改或删除"


def _without_posting_guard(statement: str) -> None:
    """Run one UPDATE of `ledger_posting` with its append-only trigger lifted, then restore the
    trigger exactly as `core.db_migrations.append_only` made it (its function is shared with
    `ledger_txn` on PostgreSQL, so only the trigger goes)."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting")
        op.execute(statement)
        op.execute(
            "CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting "
            "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        )
    elif dialect == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS ledger_posting_no_{action}")
        op.execute(statement)
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_posting_no_{action.lower()} BEFORE {action} "
                f"ON ledger_posting BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )
    else:
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("ledger_posting", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=16), nullable=True))
    _without_posting_guard(
        "UPDATE ledger_posting SET category = ("
        "SELECT beneficiary.category FROM account "
        "JOIN beneficiary ON beneficiary.id = account.beneficiary_id "
        "WHERE account.id = ledger_posting.account_id) "
        "WHERE account_id IS NOT NULL"
    )

    with op.batch_alter_table("topup_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("skipped_json", sa.Text(), nullable=False, server_default="[]")
        )
        batch_op.drop_constraint(op.f("ck_topup_run_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_topup_run_status"),
            "status IN ('prepared', 'approved', 'posted', 'cancelled')",
        )
    with op.batch_alter_table("topup_run", schema=None) as batch_op:
        batch_op.alter_column("skipped_json", server_default=None)

    op.create_table(
        "topup_run_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_topup_run_line_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["topup_run.id"], name=op.f("fk_topup_run_line_run_id_topup_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topup_run_line")),
        sa.UniqueConstraint(
            "run_id", "account_id", name=op.f("uq_topup_run_line_run_id_account_id")
        ),
    )
    with op.batch_alter_table("topup_run_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_topup_run_line_run_id"), ["run_id"], unique=False)

    op.create_table(
        "month_close",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("statement_json", sa.Text(), nullable=False),
        sa.Column("seal", sa.String(length=96), nullable=False),
        sa.Column("closed_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["staff_user.id"], name=op.f("fk_month_close_actor_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_close")),
        sa.UniqueConstraint("month", name=op.f("uq_month_close_month")),
    )


def downgrade() -> None:
    op.drop_table("month_close")
    with op.batch_alter_table("topup_run_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_topup_run_line_run_id"))
    op.drop_table("topup_run_line")
    with op.batch_alter_table("topup_run", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_topup_run_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_topup_run_status"), "status IN ('prepared', 'posted', 'cancelled')"
        )
        batch_op.drop_column("skipped_json")
    with op.batch_alter_table("ledger_posting", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("category")
