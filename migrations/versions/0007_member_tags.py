"""member tags

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('member_tag',
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('merchant_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'tag')
    )
    op.create_index('ix_member_tag_merchant_id_tag', 'member_tag', ['merchant_id', 'tag'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_member_tag_merchant_id_tag', table_name='member_tag')
    op.drop_table('member_tag')
