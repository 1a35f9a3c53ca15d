"""Member imports: check a file (the dry run), start its job, write it batch by batch.

An import is idempotent twice over: a file whose SHA-256 the program has imported before
starts no job (its earlier job is the answer), and every row whose phone, email or external
id a member of the program already has is skipped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session, col, select

from api.imports import reader, writer
from api.imports import rows as import_rows
from api.imports.errors import ImportFileUnreadable, ImportNotFound
from api.imports.models import MemberImport
from api.programs import service as program_service
from api.programs.rules import rules_of

logger = logging.getLogger(__name__)
BATCH = 1_000
MAX_ERRORS_KEPT = 1_000


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked file: what importing it would write."""

    program_id: UUID
    sha256: str
    filename: str
    columns: dict[str, str]
    rows: int
    members: list[import_rows.Member]  # valid and new to the program
    existing: int
    problems: list[import_rows.Problem]
    previous: MemberImport | None  # this very file's earlier import


def check(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None = None,
) -> Plan:
    """Read and check every row of ``data``; writes nothing.

    Raises:
        ProgramNotFound: no such program for this merchant.
        ImportFileUnreadable: see :func:`api.imports.reader.read`.
    """
    program = program_service.get_program(session, merchant_id, program_id)
    try:
        table = reader.read(data, filename, mapping)
    except reader.FileError as exc:
        raise ImportFileUnreadable(str(exc)) from exc
    tiers = {level.name for level in rules_of(program).tiers.levels}
    members, problems = import_rows.check(table, tiers)
    known = writer.existing_keys(session, program.id, members)
    new = [m for m in members if not writer.is_known(m, known)]
    sha256 = hashlib.sha256(data).hexdigest()
    previous = session.exec(
        select(MemberImport).where(
            MemberImport.program_id == program.id, MemberImport.file_sha256 == sha256
        )
    ).first()
    return Plan(
        program.id, sha256, filename[:200], table.columns, len(table.rows), new,
        len(members) - len(new), problems, previous,
    )  # fmt: skip


def start(session: Session, merchant_id: UUID, plan: Plan, *, actor: str) -> MemberImport:
    """The job that will write ``plan`` (or the earlier job of the same file: a no-op)."""
    if plan.previous is not None:
        return plan.previous
    job = MemberImport(
        merchant_id=merchant_id,
        program_id=plan.program_id,
        file_sha256=plan.sha256,
        filename=plan.filename,
        rows=plan.rows,
        valid=len(plan.members),
        existing=plan.existing,
        errors=[problem.as_dict() for problem in plan.problems[:MAX_ERRORS_KEPT]],
        actor=actor[:100],
    )
    if not plan.members:
        job.status, job.finished_at = "done", job.created_at
    session.add(job)
    session.flush()
    return job


def write_batch(
    session: Session, job_id: UUID, members: list[import_rows.Member], *, now: datetime
) -> MemberImport:
    """Write one batch of the job's members and count it (the caller commits per batch)."""
    job = session.get(MemberImport, job_id, with_for_update=True)
    if job is None:
        raise ImportNotFound()
    program = program_service.get_program(session, job.merchant_id, job.program_id)
    reason = f"import {job.filename or job.file_sha256[:12]}"
    writer.write(session, program, members, actor=job.actor, reason=reason, now=now)
    job.done = min(job.valid, job.done + len(members))
    if job.done >= job.valid:
        job.status, job.finished_at = "done", now
        logger.info("member import done", extra={"import_id": str(job.id), "rows": job.valid})
    session.add(job)
    return job


def recent(session: Session, merchant_id: UUID, *, limit: int) -> Sequence[MemberImport]:
    """The merchant's newest imports, newest first (the console's list)."""
    return session.exec(
        select(MemberImport)
        .where(MemberImport.merchant_id == merchant_id)
        .order_by(col(MemberImport.created_at).desc())
        .limit(limit)
    ).all()


def get(session: Session, merchant_id: UUID, program_id: UUID, import_id: UUID) -> MemberImport:
    """Raises: ImportNotFound (also for another merchant's or program's import)."""
    job = session.get(MemberImport, import_id)
    if job is None or job.merchant_id != merchant_id or job.program_id != program_id:
        raise ImportNotFound()
    return job
