"""channel consent: the store a join page consent came from

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 12:00:00

A marketing consent given on the join page records the store whose QR code opened the page,
like the personal-data consent in ``member_consent`` does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('channel_consent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('store_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            'fk_channel_consent_store_id', 'store', ['store_id'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    with op.batch_alter_table('channel_consent', schema=None) as batch_op:
        batch_op.drop_constraint('fk_channel_consent_store_id', type_='foreignkey')
        batch_op.drop_column('store_id')
