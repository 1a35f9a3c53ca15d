"""Member imports: one row per file imported into a program (its hash makes a re-run a no-op)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, optional_timestamp, timestamp


class MemberImport(SQLModel, table=True):
    """An import job: the file's SHA-256, how far it got, and the rows it refused."""

    __tablename__ = "member_import"
    __table_args__ = (UniqueConstraint("program_id", "file_sha256"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    file_sha256: str = Field(max_length=64)
    filename: str = Field(default="", max_length=200)
    status: str = Field(default="running", sa_type=String(10))  # running | done | failed
    rows: int = 0  # data rows in the file
    valid: int = 0  # rows to import (new members)
    existing: int = 0  # rows whose member is already in the program: skipped
    done: int = 0  # members written so far
    # The refused rows: [{"line", "column", "reason"}], at most 1,000 kept.
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    actor: str = Field(default="api", max_length=100)
    created_at: datetime = timestamp()
    finished_at: datetime | None = optional_timestamp()
    # The lease of the process writing the batches (api/imports/jobs.py): each batch renews
    # heartbeat_at; a job whose heartbeat is older than the lease was interrupted.
    heartbeat_at: datetime | None = optional_timestamp()
    runner: UUID | None = Field(default=None)
    failure: str | None = Field(default=None, max_length=300)  # why a failed job stopped


class MemberImportUpload(SQLModel, table=True):
    """An uploaded file kept between the console's dry run and its confirmation, and while
    its job runs (so an interrupted job can be resumed); deleted once the job is done."""

    __tablename__ = "member_import_upload"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    import_id: UUID | None = Field(
        default=None, foreign_key="member_import.id", index=True, ondelete="CASCADE"
    )
    filename: str = Field(default="", max_length=200)
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = timestamp()
