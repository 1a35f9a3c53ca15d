"""messages outbox and channel consent

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:12:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('channel_consent',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('merchant_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('purpose', sa.String(length=10), nullable=False),
    sa.Column('is_granted', sa.Boolean(), nullable=False),
    sa.Column('text_version', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('channel_consent', schema=None) as batch_op:
        batch_op.create_index('ix_channel_consent_member_channel', ['member_id', 'channel', 'purpose'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_consent_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('merchant_id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('program_id', sa.Uuid(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('template', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('campaign_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('provider_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('segments', sa.Integer(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key')
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index('ix_message_provider_id', ['provider_id'], unique=False)
        batch_op.create_index('ix_message_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_status_next_attempt_at')
        batch_op.drop_index('ix_message_provider_id')
        batch_op.drop_index(batch_op.f('ix_message_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_message_member_id'))
        batch_op.drop_index(batch_op.f('ix_message_campaign_id'))

    op.drop_table('message')
    with op.batch_alter_table('channel_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_consent_merchant_id'))
        batch_op.drop_index('ix_channel_consent_member_channel')

    op.drop_table('channel_consent')
