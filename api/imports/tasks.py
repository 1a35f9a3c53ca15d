"""Running an import's batches: one transaction per batch, so progress shows as it goes and
a failure keeps the batches before it (a re-run of the file then skips them)."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from sqlalchemy import Engine
from sqlmodel import Session

from api.clock import utcnow
from api.imports import rows as import_rows
from api.imports import service


def run(
    engine: Engine,
    job_id: UUID,
    members: list[import_rows.Member],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Write ``members`` for the job in batches of ``service.BATCH``."""
    for start in range(0, len(members), service.BATCH):
        batch = members[start : start + service.BATCH]
        with Session(engine, expire_on_commit=False) as session, session.begin():
            service.write_batch(session, job_id, batch, now=utcnow())
        if progress is not None:
            progress(len(batch))
