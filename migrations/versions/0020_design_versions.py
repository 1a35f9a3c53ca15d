"""designs as data: content-addressed images, each program's draft and published versions

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 13:00:00

A program's card design lives in the database: ``design_draft`` (one per program, edited),
``design_version`` (published, immutable; ``program.design`` names the live one as
``p-<program>-v<n>``) and ``design_image`` (image bytes keyed by their SHA-256).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'design_image',
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('sha256'),
    )
    op.create_table(
        'design_draft',
        sa.Column('program_id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('program_id'),
    )
    op.create_index(
        op.f('ix_design_draft_merchant_id'), 'design_draft', ['merchant_id'], unique=False
    )
    op.create_table(
        'design_version',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('merchant_id', sa.Uuid(), nullable=False),
        sa.Column('program_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('published_by', sa.Uuid(), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['merchant_id'], ['merchant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['program_id'], ['program.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('program_id', 'version'),
    )
    op.create_index(
        op.f('ix_design_version_merchant_id'), 'design_version', ['merchant_id'], unique=False
    )
    op.create_index(
        op.f('ix_design_version_program_id'), 'design_version', ['program_id'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_design_version_program_id'), table_name='design_version')
    op.drop_index(op.f('ix_design_version_merchant_id'), table_name='design_version')
    op.drop_table('design_version')
    op.drop_index(op.f('ix_design_draft_merchant_id'), table_name='design_draft')
    op.drop_table('design_draft')
    op.drop_table('design_image')
