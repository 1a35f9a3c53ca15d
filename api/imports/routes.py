"""HTTP routes for member imports (multipart upload, a dry run, the job's progress) and the
program's CSV exports (streamed)."""

from __future__ import annotations

import json
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, UploadFile
from fastapi.responses import StreamingResponse

from api.clock import utcnow
from api.deps import AdminCaller, EngineDep, SessionDep
from api.imports import export, jobs, service, tasks
from api.imports.errors import ImportMappingInvalid
from api.imports.schemas import ImportJob, ImportReport, RowProblem
from api.programs import service as program_service

router = APIRouter(prefix="/api/v1", tags=["imports"])


@router.post(
    "/programs/{program_id}/imports",
    response_model=ImportJob | ImportReport,
    responses={200: {"description": "the dry run's report, or the import job"}},
)
def import_members(
    program_id: UUID,
    session: SessionDep,
    caller: AdminCaller,
    engine: EngineDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile | None, File(description="CSV or XLSX, a header row")] = None,
    mapping: Annotated[
        str | None,
        Form(description='JSON: member field -> the file\'s column, e.g. {"phone": "Тел."}'),
    ] = None,
    dry_run: Annotated[bool, Query(description="check every row, write nothing")] = False,
) -> ImportJob | ImportReport:
    """Import members from a file: new members with their opening points, stamps and tier
    (``import`` ledger entries) and cards. Rows matching a member by phone, email or
    external_id are skipped; a file imported before answers with its earlier job. With
    ``dry_run`` the answer is a report of every bad row by line and column. A job that
    failed (its process stopped) is resumed by importing the same file again."""
    data = file.file.read() if file is not None else b""
    filename = (file.filename or "") if file is not None else ""
    plan = service.check(session, caller.merchant_id, program_id, data, filename, _mapping(mapping))
    if dry_run:
        return ImportReport(
            rows=plan.rows,
            valid=len(plan.members),
            existing=plan.existing,
            columns=plan.columns,
            errors=[RowProblem.model_validate(p.as_dict()) for p in plan.problems],
            already_imported=plan.previous.id if plan.previous else None,
        )
    job, run = jobs.begin(
        session, caller, plan, data, actor=f"import by key {caller.key_id}",
        now=utcnow(),
    )  # fmt: skip
    if run is not None:
        # After the commit of the job row: each batch is its own transaction.
        background.add_task(tasks.start, engine, run)
    return ImportJob.of(job)


@router.get("/programs/{program_id}/imports/{import_id}")
def get_import(
    program_id: UUID, import_id: UUID, session: SessionDep, caller: AdminCaller
) -> ImportJob:
    """An import's progress (``done`` of ``valid``) and the rows it refused."""
    return ImportJob.of(service.get(session, caller.merchant_id, program_id, import_id))


@router.get(
    "/programs/{program_id}/export/{dataset}.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export_csv(
    program_id: UUID,
    dataset: export.Dataset,
    session: SessionDep,
    caller: AdminCaller,
    engine: EngineDep,
) -> StreamingResponse:
    """The program's members, ledger, coupons or promo codes as CSV, streamed (any size).
    members.csv imports back into a program."""
    program_service.get_program(session, caller.merchant_id, program_id)
    return StreamingResponse(
        export.rows(engine, caller.merchant_id, program_id, dataset),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{dataset.value}-{program_id}.csv"'},
    )


def _mapping(raw: str | None) -> dict[str, str] | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise ImportMappingInvalid() from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ImportMappingInvalid()
    return value
