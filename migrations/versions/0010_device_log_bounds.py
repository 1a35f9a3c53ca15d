"""device log bounds: the sender's client key, for the per-address rate limit of /apple/v1/log

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('apple_device_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.create_index('ix_apple_device_log_client_key_created_at', ['client_key', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('apple_device_log', schema=None) as batch_op:
        batch_op.drop_index('ix_apple_device_log_client_key_created_at')
        batch_op.drop_column('client_key')
