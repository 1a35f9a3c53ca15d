"""member imports: a lease per job, the failure reason, and kept uploads

Revision ID: 0043
Revises: 0041
Create Date: 2026-12-06 17:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0043"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member_import") as batch:
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("runner", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column("failure", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
    op.create_table(
        "member_import_upload",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=True),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchant.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["program_id"], ["program.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["import_id"], ["member_import.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_member_import_upload_merchant_id", "member_import_upload", ["merchant_id"])
    op.create_index("ix_member_import_upload_program_id", "member_import_upload", ["program_id"])
    op.create_index("ix_member_import_upload_import_id", "member_import_upload", ["import_id"])


def downgrade() -> None:
    op.drop_index("ix_member_import_upload_import_id", table_name="member_import_upload")
    op.drop_index("ix_member_import_upload_program_id", table_name="member_import_upload")
    op.drop_index("ix_member_import_upload_merchant_id", table_name="member_import_upload")
    op.drop_table("member_import_upload")
    with op.batch_alter_table("member_import") as batch:
        batch.drop_column("failure")
        batch.drop_column("runner")
        batch.drop_column("heartbeat_at")
