"""pos: the recorded `qr` tender (WeChat/Alipay paid to the store's own collection code)

Revision ID: pos_0600_qr_tender
Revises: pos_0600_z_seal
Create Date: 2026-12-12

A sale keeps what the QR tender paid and the transaction's last digits; a refund what went back
by it. The sale's balance check now counts the QR tender (card + qr + cash - change = total).
Sales and refunds made before paid nothing by QR (0).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "pos_0600_qr_tender"
down_revision: str | Sequence[str] | None = "pos_0600_z_seal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("paid_qr_fen", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("qr_reference", sa.String(length=32), server_default="", nullable=False)
        )
        batch_op.drop_constraint(batch_op.f("ck_sale_balanced"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_sale_qr_not_negative"), "paid_qr_fen >= 0")
        batch_op.create_check_constraint(
            batch_op.f("ck_sale_balanced_with_qr"),
            "paid_card_fen + paid_qr_fen + paid_cash_fen - change_fen = total_fen",
        )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qr_fen", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(batch_op.f("ck_refund_qr_not_negative"), "qr_fen >= 0")


def downgrade() -> None:
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_refund_qr_not_negative"), type_="check")
        batch_op.drop_column("qr_fen")
    with op.batch_alter_table("sale", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_sale_balanced_with_qr"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_sale_qr_not_negative"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_sale_balanced"),
            "paid_card_fen + paid_cash_fen - change_fen = total_fen",
        )
        batch_op.drop_column("qr_reference")
        batch_op.drop_column("paid_qr_fen")
