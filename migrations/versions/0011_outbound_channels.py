"""outbound channels: a refused credential blocks a channel; stale undelivered changes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('outbound_channel',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_credential', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('blocked_reason', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('last_ok_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_failure', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('apple_push') as batch_op:
        batch_op.add_column(sa.Column('stale_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('google_object') as batch_op:
        batch_op.add_column(sa.Column('stale_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('google_object') as batch_op:
        batch_op.drop_column('stale_at')
    with op.batch_alter_table('apple_push') as batch_op:
        batch_op.drop_column('stale_at')
    op.drop_table('outbound_channel')
