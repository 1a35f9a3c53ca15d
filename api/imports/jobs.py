"""An import job's life beyond one request: the uploaded file kept for the console's confirm
and for a resume, the lease of the process writing the batches, and what happens to a job
whose process stopped (a crash, a restart, a deploy).

A running job's batches renew ``heartbeat_at``; a job whose heartbeat is older than
:data:`LEASE` was interrupted. :func:`recover` then resumes it from its kept file (a re-check
skips the members already written, so nothing is written twice) or, with no file, marks it
``failed`` with the reason. A job carries the id of its current runner: a resumed job gets a
new one, so a runner that was only slow stops at its next batch instead of writing beside
the new one. Importing the same file again resumes a failed job the same way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import and_, delete, or_
from sqlmodel import Session, col, select

from api.audit import service as audit
from api.errors import ApiError
from api.imports import rows as import_rows
from api.imports import service
from api.imports.errors import ImportUploadNotFound
from api.imports.models import MemberImport, MemberImportUpload

logger = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # a batch of 1,000 takes seconds; five minutes is a dead runner
UPLOAD_KEPT = timedelta(days=1)  # a dry run's file, if the import is never confirmed
INTERRUPTED = (
    "interrupted: the process writing it stopped; import the same file again to write the "
    "remaining rows (rows already imported are skipped)"
)


@dataclass(frozen=True, slots=True)
class Run:
    """Batches to write for a job, by the runner that holds its lease."""

    job_id: UUID
    runner: UUID
    members: list[import_rows.Member]


def keep_upload(
    session: Session, merchant_id: UUID, program_id: UUID, data: bytes, filename: str
) -> MemberImportUpload:
    """Keep an uploaded file (the console's dry run) until it is imported or a day passes."""
    upload = MemberImportUpload(
        merchant_id=merchant_id, program_id=program_id, filename=filename[:200], data=data
    )
    session.add(upload)
    session.flush()
    return upload


def get_upload(session: Session, merchant_id: UUID, upload_id: UUID) -> MemberImportUpload:
    """Raises: ImportUploadNotFound (also another merchant's, or one already imported)."""
    upload = session.get(MemberImportUpload, upload_id)
    if upload is None or upload.merchant_id != merchant_id or upload.import_id is not None:
        raise ImportUploadNotFound()
    return upload


def begin(
    session: Session,
    caller: audit.Actor,
    plan: service.Plan,
    data: bytes,
    *,
    actor: str,
    now: datetime,
    upload: MemberImportUpload | None = None,
) -> tuple[MemberImport, Run | None]:
    """The job for ``plan`` (new, the earlier one of the same file, or that one resumed when
    it failed) and the batches to write now, if any. The file is kept with a job that runs;
    a job started or resumed is in the audit log with ``caller`` as its actor."""
    merchant_id, previous = caller.merchant_id, plan.previous
    if previous is not None and previous.status == "failed":
        job = previous
        run = _reopen(job, plan.members, existing=plan.existing, now=now)
    else:
        job = service.start(session, merchant_id, plan, actor=actor)
        run = None
        if previous is None and plan.members:
            job.heartbeat_at, job.runner = now, uuid4()
            run = Run(job.id, job.runner, plan.members)
    session.add(job)
    if run is not None:
        if upload is None:
            upload = MemberImportUpload(
                merchant_id=merchant_id, program_id=plan.program_id, filename=plan.filename,
                data=data,
            )  # fmt: skip
        upload.import_id = job.id
        session.add(upload)
        summary = {"filename": job.filename, "rows": job.rows, "valid": job.valid,
                   "existing": job.existing, "refused": len(plan.problems)}  # fmt: skip
        action = "members.import_resumed" if previous is not None else "members.imported"
        audit.record(session, caller, action, "member_import", job.id, None, summary)
    elif upload is not None:
        session.delete(upload)
    session.flush()
    return job, run


def holds_lease(session: Session, job_id: UUID, runner: UUID | None) -> MemberImport | None:
    """The job, locked, while ``runner`` may write its next batch (None: stop)."""
    job = session.get(MemberImport, job_id, with_for_update=True, populate_existing=True)
    if job is None or job.status != "running":
        return None
    if runner is not None and job.runner != runner:
        return None
    return job


def renew(session: Session, job: MemberImport, *, now: datetime) -> None:
    """After a batch: the lease renewed; a finished job's kept file deleted."""
    job.heartbeat_at = now
    session.add(job)
    if job.status == "done":
        session.execute(
            delete(MemberImportUpload).where(col(MemberImportUpload.import_id) == job.id)
        )


def recover(session: Session, *, now: datetime) -> list[Run]:
    """Every running job whose lease expired: resumed from its kept file, or failed with the
    reason; and dry runs' files never confirmed, deleted. Returns the runs to start."""
    cut = now - LEASE
    stale = session.exec(
        select(MemberImport)
        .where(
            MemberImport.status == "running",
            or_(
                col(MemberImport.heartbeat_at) < cut,
                and_(col(MemberImport.heartbeat_at).is_(None), col(MemberImport.created_at) < cut),
            ),
        )
        .with_for_update(skip_locked=True)
    ).all()
    runs: list[Run] = []
    for job in stale:
        run = _resume(session, job, now=now)
        if run is not None:
            runs.append(run)
    session.execute(
        delete(MemberImportUpload).where(
            col(MemberImportUpload.import_id).is_(None),
            col(MemberImportUpload.created_at) < now - UPLOAD_KEPT,
        )
    )
    session.flush()
    return runs


def _resume(session: Session, job: MemberImport, *, now: datetime) -> Run | None:
    upload = session.exec(
        select(MemberImportUpload).where(MemberImportUpload.import_id == job.id)
    ).first()
    if upload is None:
        _fail(job, INTERRUPTED, now=now)
        session.add(job)
        return None
    try:
        with session.begin_nested():
            plan = service.check(
                session, job.merchant_id, job.program_id, upload.data, upload.filename
            )
    except ApiError as exc:
        _fail(job, f"interrupted, and its file no longer checks: {exc.title}", now=now)
        session.add(job)
        session.delete(upload)  # personal data kept no longer than its job needs it
        return None
    run = _reopen(job, plan.members, existing=plan.existing, now=now)
    if run is None:
        session.delete(upload)
    session.add(job)
    logger.info("member import resumed", extra={"import_id": str(job.id)})
    return run


def _reopen(
    job: MemberImport, members: list[import_rows.Member], *, existing: int, now: datetime
) -> Run | None:
    """A job written again from its file: the rows still missing, a new runner."""
    job.failure, job.heartbeat_at = None, now
    job.existing = max(0, existing - job.done)
    job.valid = job.done + len(members)
    if not members:
        job.status, job.finished_at, job.runner = "done", now, None
        return None
    job.status, job.finished_at, job.runner = "running", None, uuid4()
    return Run(job.id, job.runner, members)


def _fail(job: MemberImport, reason: str, *, now: datetime) -> None:
    job.status, job.failure, job.finished_at, job.runner = "failed", reason[:300], now, None
    logger.warning("member import failed", extra={"import_id": str(job.id), "reason": reason})
