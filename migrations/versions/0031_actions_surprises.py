"""actions that earn points, purchase feedback, and the monthly surprise budget

Revision ID: 0031
Revises: 0028
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0031'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'action_rule',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('program_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('cap', sa.Integer(), nullable=True),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('program_id', 'kind'),
    )
    op.create_index(op.f('ix_action_rule_merchant_id'), 'action_rule', ['merchant_id'])
    op.create_index(op.f('ix_action_rule_program_id'), 'action_rule', ['program_id'])
    op.create_table(
        'action_event',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('reference', sa.String(length=100), nullable=False),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('transaction_id', sa.Uuid(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['transaction_id'], ['transaction.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('member_id', 'kind', 'reference'),
    )
    op.create_index(op.f('ix_action_event_merchant_id'), 'action_event', ['merchant_id'])
    op.create_index(op.f('ix_action_event_member_id'), 'action_event', ['member_id'])
    op.create_index(op.f('ix_action_event_created_at'), 'action_event', ['created_at'])
    op.create_table(
        'feedback',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('program_id', sa.Uuid(), nullable=False),
        sa.Column('member_id', sa.Uuid(), nullable=False),
        sa.Column('transaction_id', sa.Uuid(), nullable=False),
        sa.Column('rating', sa.Integer(), nullable=False),
        sa.Column('comment', sa.String(length=500), nullable=True),
        sa.Column('points', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['transaction_id'], ['transaction.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('transaction_id'),
    )
    op.create_index(op.f('ix_feedback_merchant_id'), 'feedback', ['merchant_id'])
    op.create_index(op.f('ix_feedback_program_id'), 'feedback', ['program_id'])
    op.create_index(op.f('ix_feedback_member_id'), 'feedback', ['member_id'])
    op.create_index(op.f('ix_feedback_created_at'), 'feedback', ['created_at'])
    op.create_table(
        'surprise_budget',
        sa.Column('program_id', sa.Uuid(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('spent_points', sa.Integer(), nullable=False),
        sa.Column('surprises', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('program_id', 'month'),
    )


def downgrade() -> None:
    op.drop_table('surprise_budget')
    op.drop_table('feedback')
    op.drop_table('action_event')
    op.drop_table('action_rule')
