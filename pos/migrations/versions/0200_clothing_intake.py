"""clothing: intake batches and lines, clothing products, give-away events, claims

Revision ID: clothing_0200
Revises: clothing_root
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'clothing_0200'
down_revision: str | Sequence[str] | None = 'clothing_root'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('clothing_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('size', sa.String(length=16), nullable=False),
    sa.Column('season', sa.String(length=8), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clothing_product')),
    sa.UniqueConstraint('kind', 'size', 'season', name=op.f('uq_clothing_product_kind_size_season')),
    sa.UniqueConstraint('product_id', name=op.f('uq_clothing_product_product_id'))
    )
    op.create_table('clothing_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_clothing_event_actor_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clothing_event'))
    )
    with op.batch_alter_table('clothing_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clothing_event_event_date'), ['event_date'], unique=False)

    op.create_table('clothing_intake_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_code', sa.String(length=40), nullable=False),
    sa.Column('intake_date', sa.Date(), nullable=False),
    sa.Column('collection_point', sa.String(length=120), nullable=False),
    sa.Column('weight_milli', sa.Integer(), nullable=False),
    sa.Column('recycled_milli', sa.Integer(), nullable=True),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_clothing_intake_batch_actor_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clothing_intake_batch')),
    sa.UniqueConstraint('batch_code', name=op.f('uq_clothing_intake_batch_batch_code'))
    )
    with op.batch_alter_table('clothing_intake_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clothing_intake_batch_collection_point'), ['collection_point'], unique=False)
        batch_op.create_index(batch_op.f('ix_clothing_intake_batch_intake_date'), ['intake_date'], unique=False)

    op.create_table('clothing_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=True),
    sa.Column('counted', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('sale_no', sa.String(length=40), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('taken_at', core.db.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('released_at', core.db.UTCDateTime(), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('released_by_name', sa.String(length=64), nullable=True),
    sa.CheckConstraint('slot IS NULL OR slot >= 1', name=op.f('ck_clothing_claim_slot_positive')),
    sa.ForeignKeyConstraint(['actor_id'], ['staff_user.id'], name=op.f('fk_clothing_claim_actor_id_staff_user')),
    sa.ForeignKeyConstraint(['event_id'], ['clothing_event.id'], name=op.f('fk_clothing_claim_event_id_clothing_event')),
    sa.ForeignKeyConstraint(['released_by_id'], ['staff_user.id'], name=op.f('fk_clothing_claim_released_by_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clothing_claim')),
    sa.UniqueConstraint('beneficiary_id', 'quarter', 'slot', name=op.f('uq_clothing_claim_beneficiary_id_quarter_slot'))
    )
    with op.batch_alter_table('clothing_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clothing_claim_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clothing_claim_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_clothing_claim_sale', ['sale_no', 'product_id'], unique=False)

    op.create_table('clothing_event_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['clothing_event.id'], name=op.f('fk_clothing_event_total_event_id_clothing_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clothing_event_total')),
    sa.UniqueConstraint('event_id', 'kind', name=op.f('uq_clothing_event_total_event_id_kind'))
    )
    with op.batch_alter_table('clothing_event_total', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clothing_event_total_event_id'), ['event_id'], unique=False)

    op.create_table('clothing_intake_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('size', sa.String(length=16), nullable=False),
    sa.Column('season', sa.String(length=8), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['clothing_intake_batch.id'], name=op.f('fk_clothing_intake_line_batch_id_clothing_intake_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clothing_intake_line')),
    sa.UniqueConstraint('batch_id', 'kind', 'size', 'season', name=op.f('uq_clothing_intake_line_batch_id_kind_size_season'))
    )
    with op.batch_alter_table('clothing_intake_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clothing_intake_line_batch_id'), ['batch_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('clothing_intake_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clothing_intake_line_batch_id'))

    op.drop_table('clothing_intake_line')
    with op.batch_alter_table('clothing_event_total', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clothing_event_total_event_id'))

    op.drop_table('clothing_event_total')
    with op.batch_alter_table('clothing_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_clothing_claim_sale')
        batch_op.drop_index(batch_op.f('ix_clothing_claim_event_id'))
        batch_op.drop_index(batch_op.f('ix_clothing_claim_beneficiary_id'))

    op.drop_table('clothing_claim')
    with op.batch_alter_table('clothing_intake_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clothing_intake_batch_intake_date'))
        batch_op.drop_index(batch_op.f('ix_clothing_intake_batch_collection_point'))

    op.drop_table('clothing_intake_batch')
    with op.batch_alter_table('clothing_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clothing_event_event_date'))

    op.drop_table('clothing_event')
    op.drop_table('clothing_product')
