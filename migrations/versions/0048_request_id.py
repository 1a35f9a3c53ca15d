"""request id on the outbox, webhook events and messages

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-06 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0048"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("outbox_event", "webhook_event", "message")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("request_id")
