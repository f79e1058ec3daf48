"""pos: sale numbers from a counter per terminal and business day; the request hash of a sale

Revision ID: pos_0500_sale_numbers
Revises: pos_0200
Create Date: 2026-12-10

Sales made before keep their numbers (`YYYYMMDD-TT-NNNNNN`, NNNNNN then being the row id). Each
terminal's counter for a day that already has sales starts above the highest number of that day,
so a store upgraded in the middle of a day never repeats a number. `request_hash` stays NULL on
old sales (a replay of one is answered as before).
"""

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = "pos_0500_sale_numbers"
down_revision: str | Sequence[str] | None = "pos_0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sale_counter",
        sa.Column("terminal", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_no", sa.Integer(), nullable=False),
        sa.CheckConstraint("last_no > 0", name=op.f("ck_sale_counter_positive")),
        sa.PrimaryKeyConstraint("terminal", "day", name=op.f("pk_sale_counter")),
    )
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_hash", sa.String(length=64), nullable=True))
    _seed_counters()


def _seed_counters() -> None:
    """The highest number already given per terminal and day (read from the sale numbers)."""
    connection = op.get_bind()
    highest: dict[tuple[str, str], int] = {}
    rows = connection.execute(sa.text("SELECT sale_no FROM sale")).yield_per(5000)
    for (sale_no,) in rows:
        day, _, rest = str(sale_no).partition("-")
        terminal, _, number = rest.rpartition("-")
        if len(day) != 8 or not day.isdigit() or not terminal or not number.isdigit():
            continue
        key = (terminal, f"{day[:4]}-{day[4:6]}-{day[6:]}")
        highest[key] = max(highest.get(key, 0), int(number))
    if highest:
        counter = sa.table(
            "sale_counter",
            sa.column("terminal", sa.String),
            sa.column("day", sa.Date),
            sa.column("last_no", sa.Integer),
        )
        op.bulk_insert(
            counter,
            [
                {"terminal": t, "day": date.fromisoformat(d), "last_no": n}
                for (t, d), n in sorted(highest.items())
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_column("request_hash")
    op.drop_table("sale_counter")
