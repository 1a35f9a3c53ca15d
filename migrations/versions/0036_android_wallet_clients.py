"""the wallet app of each Apple web service device (Wallet Passes, Pass2U, Passworks)

Revision ID: 0036
Revises: 0033
Create Date: 2026-12-06 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0036"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("apple_device", "apple_push"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(
                    "client",
                    sa.String(length=20),
                    server_default="apple",
                    nullable=False,
                )
            )


def downgrade() -> None:
    for table in ("apple_push", "apple_device"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("client")
