"""every change of a program's rules is a version: who, when, before and after

Revision ID: 0024
Revises: 0020
Create Date: 2026-12-06 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0024'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rules_version',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('program_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.Column('confirmed', sa.JSON(), nullable=False),
        sa.Column('changed_by', sa.Uuid(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('program_id', 'version'),
    )
    op.create_index(
        op.f('ix_rules_version_merchant_id'), 'rules_version', ['merchant_id'], unique=False
    )
    op.create_index(
        op.f('ix_rules_version_program_id'), 'rules_version', ['program_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_rules_version_program_id'), table_name='rules_version')
    op.drop_index(op.f('ix_rules_version_merchant_id'), table_name='rules_version')
    op.drop_table('rules_version')
