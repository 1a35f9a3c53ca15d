"""Running an import's batches: one transaction per batch, so progress shows as it goes and
a failure keeps the batches before it (a re-run of the file then skips them). Each batch
renews the job's lease (api/imports/jobs.py); ``recover_stuck`` resumes or fails the jobs
whose lease expired."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from sqlalchemy import Engine
from sqlmodel import Session

from api.clock import utcnow
from api.imports import jobs, service
from api.imports import rows as import_rows

logger = logging.getLogger(__name__)


def run(
    engine: Engine,
    job_id: UUID,
    members: list[import_rows.Member],
    progress: Callable[[int], None] | None = None,
    runner: UUID | None = None,
) -> None:
    """Write ``members`` for the job in batches of ``service.BATCH``; stop early when the
    job is no longer ``runner``'s (failed, or resumed by another process)."""
    for start in range(0, len(members), service.BATCH):
        batch = members[start : start + service.BATCH]
        with Session(engine, expire_on_commit=False) as session, session.begin():
            if jobs.holds_lease(session, job_id, runner) is None:
                logger.info("member import stopped", extra={"import_id": str(job_id)})
                return
            now = utcnow()
            job = service.write_batch(session, job_id, batch, now=now)
            jobs.renew(session, job, now=now)
        if progress is not None:
            progress(len(batch))


def start(engine: Engine, run_: jobs.Run) -> None:
    """Run ``run_``'s batches (for a job begun in the caller's committed transaction)."""
    run(engine, run_.job_id, run_.members, runner=run_.runner)


def recover_stuck(engine: Engine, *, now: datetime, wait: bool = False) -> int:
    """Resume or fail the imports whose runner stopped; the resumed ones run in a thread
    each (``wait``: joined before returning). Returns how many were resumed."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        runs = jobs.recover(session, now=now)
    threads = [
        threading.Thread(target=start, args=(engine, r), name="member-import", daemon=True)
        for r in runs
    ]
    for thread in threads:
        thread.start()
    if wait:
        for thread in threads:
            thread.join()
    return len(runs)
