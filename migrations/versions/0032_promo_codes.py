"""promo codes: promos, their codes (shared or unique) and redemptions

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'promo',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('program_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('grant', sa.String(length=10), nullable=False),
        sa.Column('points', sa.Integer(), nullable=True),
        sa.Column('reward_id', sa.Uuid(), nullable=True),
        sa.Column('discount_percent', sa.Integer(), nullable=True),
        sa.Column('usage_limit', sa.Integer(), nullable=True),
        sa.Column('per_member_limit', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['reward_id'], ['reward.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_promo_merchant_id'), 'promo', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_promo_program_id'), 'promo', ['program_id'], unique=False)
    op.create_table(
        'promo_code',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('promo_id', sa.Uuid(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('uses', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['promo_id'], ['promo.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('merchant_id', 'code'),
    )
    op.create_index(
        op.f('ix_promo_code_merchant_id'), 'promo_code', ['merchant_id'], unique=False
    )
    op.create_index(op.f('ix_promo_code_promo_id'), 'promo_code', ['promo_id'], unique=False)
    op.create_table(
        'promo_redemption',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('promo_id', sa.Uuid(), nullable=False),
        sa.Column('code_id', sa.Uuid(), nullable=False),
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('transaction_id', sa.Uuid(), nullable=True),
        sa.Column('coupon_id', sa.Uuid(), nullable=True),
        sa.Column('discount_percent', sa.Integer(), nullable=True),
        sa.Column('discount_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('discount_transaction_id', sa.Uuid(), nullable=True),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['promo_id'], ['promo.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['code_id'], ['promo_code.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['transaction_id'], ['transaction.id']),
        sa.ForeignKeyConstraint(['coupon_id'], ['coupon.id']),
        sa.ForeignKeyConstraint(['discount_transaction_id'], ['transaction.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code_id', 'member_id'),
    )
    op.create_index(
        op.f('ix_promo_redemption_merchant_id'), 'promo_redemption', ['merchant_id'], unique=False
    )
    op.create_index(
        op.f('ix_promo_redemption_promo_id'), 'promo_redemption', ['promo_id'], unique=False
    )
    op.create_index(
        op.f('ix_promo_redemption_member_id'), 'promo_redemption', ['member_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_promo_redemption_member_id'), table_name='promo_redemption')
    op.drop_index(op.f('ix_promo_redemption_promo_id'), table_name='promo_redemption')
    op.drop_index(op.f('ix_promo_redemption_merchant_id'), table_name='promo_redemption')
    op.drop_table('promo_redemption')
    op.drop_index(op.f('ix_promo_code_promo_id'), table_name='promo_code')
    op.drop_index(op.f('ix_promo_code_merchant_id'), table_name='promo_code')
    op.drop_table('promo_code')
    op.drop_index(op.f('ix_promo_program_id'), table_name='promo')
    op.drop_index(op.f('ix_promo_merchant_id'), table_name='promo')
    op.drop_table('promo')
