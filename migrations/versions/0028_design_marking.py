"""publishing marks cards in batches (design_marking); Google objects keep their body digest;
a campaign's message in other languages reaches the card (message_translations)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 15:00:00

``design_marking`` follows one publish while its cards are marked changed, a batch per
transaction (the first by the publish, the rest by the designs job). ``google_object.body_digest``
is the object body last written to Google, so a change that leaves an object as it was (a
design change that only touches the class) is no PATCH. ``campaign.message_translations`` and
``card.message_translations`` carry a message in other languages (language -> text).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'design_marking',
        sa.Column('version_id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('program_id', sa.Uuid(), nullable=False),
        sa.Column('cursor', sa.Uuid(), nullable=True),
        sa.Column('cards_marked', sa.Integer(), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['version_id'], ['design_version.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('version_id'),
    )
    op.create_index(
        op.f('ix_design_marking_merchant_id'), 'design_marking', ['merchant_id'], unique=False
    )
    op.create_index(
        op.f('ix_design_marking_program_id'), 'design_marking', ['program_id'], unique=False
    )
    with op.batch_alter_table('google_object') as batch:
        batch.add_column(
            sa.Column('body_digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
    with op.batch_alter_table('campaign') as batch:
        batch.add_column(sa.Column('message_translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('card') as batch:
        batch.add_column(sa.Column('message_translations', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('card') as batch:
        batch.drop_column('message_translations')
    with op.batch_alter_table('campaign') as batch:
        batch.drop_column('message_translations')
    with op.batch_alter_table('google_object') as batch:
        batch.drop_column('body_digest')
    op.drop_index(op.f('ix_design_marking_program_id'), table_name='design_marking')
    op.drop_index(op.f('ix_design_marking_merchant_id'), table_name='design_marking')
    op.drop_table('design_marking')
