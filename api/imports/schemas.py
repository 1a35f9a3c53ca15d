"""What the import API answers: a dry run's report and an import job."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from api.imports.models import MemberImport


class RowProblem(BaseModel):
    line: int = Field(description="The file's line (the header is line 1)")
    column: str | None = Field(description="The file's column header (null: the whole row)")
    reason: str


class ImportReport(BaseModel):
    """A dry run: what an import of the file would do; nothing is written."""

    rows: int = Field(description="Data rows in the file")
    valid: int = Field(description="Rows that would become new members")
    existing: int = Field(description="Rows whose member the program already has: skipped")
    columns: dict[str, str] = Field(description="Member field -> the file's column")
    errors: list[RowProblem]
    already_imported: UUID | None = Field(
        default=None, description="The import of this very file, if it ran before"
    )


class ImportJob(BaseModel):
    id: UUID
    program_id: UUID
    filename: str
    status: str = Field(description="running, done or failed")
    rows: int
    valid: int
    existing: int
    done: int = Field(description="Members written so far (of valid)")
    errors: list[RowProblem]
    created_at: datetime
    finished_at: datetime | None
    failure: str | None = Field(default=None, description="Why a failed import stopped")

    @classmethod
    def of(cls, job: MemberImport) -> ImportJob:
        return cls(
            id=job.id,
            program_id=job.program_id,
            filename=job.filename,
            status=job.status,
            rows=job.rows,
            valid=job.valid,
            existing=job.existing,
            done=job.done,
            errors=[RowProblem.model_validate(problem) for problem in job.errors],
            created_at=job.created_at,
            finished_at=job.finished_at,
            failure=job.failure,
        )
