"""ledger entries carry their place in the member's ledger (one request may post several
entries at the same moment, and a request that waited for the member's lock may have taken its
time before the one it waited for)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 15:30:00

Entries written before this have no sequence and sort by time, as they did.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('ledger_sequence', sa.BigInteger(), nullable=False, server_default='0')
        )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_column('sequence')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('ledger_sequence')
