"""clothing: link claims and stock to beneficiaries and products

Revision ID: clothing_0300
Revises: clothing_0200
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'clothing_0300'
down_revision: str | Sequence[str] | None = 'clothing_0200'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ['cards_0200', 'inventory_0200']


def upgrade() -> None:
    with op.batch_alter_table('clothing_claim', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_clothing_claim_beneficiary_id_beneficiary'), 'beneficiary', ['beneficiary_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_clothing_claim_product_id_product'), 'product', ['product_id'], ['id'])

    with op.batch_alter_table('clothing_intake_line', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_clothing_intake_line_product_id_product'), 'product', ['product_id'], ['id'])

    with op.batch_alter_table('clothing_product', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_clothing_product_product_id_product'), 'product', ['product_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('clothing_product', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_clothing_product_product_id_product'), type_='foreignkey')

    with op.batch_alter_table('clothing_intake_line', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_clothing_intake_line_product_id_product'), type_='foreignkey')

    with op.batch_alter_table('clothing_claim', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_clothing_claim_product_id_product'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_clothing_claim_beneficiary_id_beneficiary'), type_='foreignkey')

