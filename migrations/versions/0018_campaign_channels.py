"""channels of campaigns and automations; the coalesced after-purchase message

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-06 12:20:00

Campaigns and automations list their channels in order of preference (NULL: wallet, email,
sms); each campaign recipient records the route it was reached on (NULL: before channels,
on the card). ``purchase_message_pending`` holds the after-purchase message while purchases
within a minute add to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('campaign', sa.Column('channels', sa.JSON(), nullable=True))
    op.add_column('automation', sa.Column('channels', sa.JSON(), nullable=True))
    op.add_column('campaign_recipient', sa.Column('channel', sa.String(length=10), nullable=True))
    op.create_table('purchase_message_pending',
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('merchant_id', sa.Uuid(), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('purchases', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('send_after', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id'),
    sa.UniqueConstraint('id')
    )
    op.create_index(op.f('ix_purchase_message_pending_merchant_id'), 'purchase_message_pending', ['merchant_id'], unique=False)
    op.create_index(op.f('ix_purchase_message_pending_send_after'), 'purchase_message_pending', ['send_after'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_purchase_message_pending_send_after'), table_name='purchase_message_pending')
    op.drop_index(op.f('ix_purchase_message_pending_merchant_id'), table_name='purchase_message_pending')
    op.drop_table('purchase_message_pending')
    with op.batch_alter_table('campaign_recipient') as batch:
        batch.drop_column('channel')
    with op.batch_alter_table('automation') as batch:
        batch.drop_column('channels')
    with op.batch_alter_table('campaign') as batch:
        batch.drop_column('channels')
