"""The console's member import and export page (``/console/members/import``): upload a CSV
or XLSX file, read the dry run's report (counts, every bad row by line and column, repeats
within the file), confirm, watch the progress (the page refreshes itself with a meta
refresh: no script) and the result; and the program's CSV exports.

The file is kept between the report and the confirm (``api.imports.jobs``), so the merchant
uploads it once. The upload posts to ``/console/members/imports``: the body limit of every
``.../imports`` path (api/limits.py) covers a 100,000-member file.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import (
    APIRouter,
    BackgroundTasks,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from sqlmodel import Session

from api.clock import utcnow
from api.console.auth import ConsoleUser
from api.console.routes import console_page
from api.console.service import ConsoleCaller
from api.deps import EngineDep, SessionDep
from api.errors import ApiError, Forbidden
from api.imports import export, jobs, service, tasks
from api.imports.errors import ImportFileUnreadable, ImportNotFound
from api.imports.models import MemberImport
from api.merchants.models import Role
from api.pages.render import Page, PageDep
from api.programs import service as program_service
from api.programs.errors import ProgramNotFound

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
RECENT = 10


@router.get("/members/import", response_class=HTMLResponse)
def import_page(
    page: PageDep, session: SessionDep, user: ConsoleUser,
    program: Annotated[str, Query(max_length=36)] = "",
) -> Response:  # fmt: skip
    """The upload form, the recent imports and the CSV exports."""
    return console_page(page, "imports.html", user, **_context(session, user, program))


@router.get("/members/imports")
def to_import_page(request: Request) -> Response:
    """The report's own address, asked for again (its language link): the import page."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/console/members/import{query}", status_code=303)


@router.post("/members/imports", response_class=HTMLResponse)
def check_file(
    page: PageDep,
    session: SessionDep,
    user: ConsoleUser,
    file: Annotated[UploadFile | None, File()] = None,
    program: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    """The dry run: the file is checked and kept; nothing else is written."""
    data = file.file.read() if file is not None else b""
    filename = (file.filename or "") if file is not None else ""
    try:
        _require_edit(user)
        if not data:
            return _refused(page, session, user, program, "import_err_empty", "")
        program_id = _program_id(program)
        with session.begin_nested():
            plan = service.check(session, user.merchant_id, program_id, data, filename)
            upload = None
            if plan.previous is None or plan.previous.status == "failed":
                upload = jobs.keep_upload(session, user.merchant_id, program_id, data, filename)
    except ImportFileUnreadable as exc:
        return _refused(page, session, user, program, "import_err_file", _reason(exc))
    except ApiError as exc:
        return _refused(page, session, user, program, "", _reason(exc), exc.status_code)
    duplicates = sum(1 for p in plan.problems if p.reason.startswith("duplicate of line"))
    report = {
        "filename": plan.filename, "rows": plan.rows, "valid": len(plan.members),
        "existing": plan.existing, "columns": plan.columns, "problems": plan.problems,
        "duplicates": duplicates, "previous": plan.previous, "upload": upload,
    }  # fmt: skip
    context = _context(session, user, str(program_id))
    return console_page(page, "imports.html", user, report=report, **context)


@router.post("/members/imports/{upload_id}/confirm")
def confirm(
    upload_id: UUID,
    session: SessionDep,
    engine: EngineDep,
    user: ConsoleUser,
    background: BackgroundTasks,
) -> Response:
    """Import the file the report was about; the answer is its progress page."""
    _require_edit(user)
    upload = jobs.get_upload(session, user.merchant_id, upload_id)
    plan = service.check(session, user.merchant_id, upload.program_id, upload.data,
                         upload.filename)  # fmt: skip
    job, run = jobs.begin(
        session, user.caller, plan, upload.data, actor=f"console {_who(user)}", now=utcnow(),
        upload=upload,
    )  # fmt: skip
    if run is not None:
        background.add_task(tasks.start, engine, run)  # after the commit, a batch at a time
    return RedirectResponse(f"/console/members/imports/{job.id}", status_code=303)


@router.get("/members/imports/{import_id}", response_class=HTMLResponse)
def progress(import_id: UUID, page: PageDep, session: SessionDep, user: ConsoleUser) -> Response:
    """An import's progress (refreshing itself while it runs) and then its result."""
    job = _job(session, user.merchant_id, import_id)
    context = _context(session, user, str(job.program_id))
    return console_page(page, "import_job.html", user, job=job, **context)


@router.get("/members/export/{program_id}/{dataset}.csv", response_class=StreamingResponse)
def export_csv(
    program_id: UUID, dataset: export.Dataset, session: SessionDep, engine: EngineDep,
    user: ConsoleUser,
) -> StreamingResponse:  # fmt: skip
    """The program's members, ledger, coupons or promo codes as CSV, streamed (as the API's
    export, for those who may edit: the files hold personal data)."""
    _require_edit(user)
    program_service.get_program(session, user.merchant_id, program_id)
    return StreamingResponse(
        export.rows(engine, user.merchant_id, program_id, dataset),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{dataset.value}-{program_id}.csv"'},
    )


def _require_edit(user: ConsoleCaller) -> None:
    if not user.can_edit:
        raise Forbidden(f"this needs a key with role {Role.admin}")


def _who(user: ConsoleCaller) -> str:
    return str(getattr(user.caller, "email", None) or user.caller.key_id)


def _program_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise ProgramNotFound() from None


def _reason(exc: ApiError) -> str:
    return f"{exc.title}: {exc.detail}" if exc.detail else exc.title


def _job(session: Session, merchant_id: UUID, import_id: UUID) -> MemberImport:
    job = session.get(MemberImport, import_id)
    if job is None or job.merchant_id != merchant_id:
        raise ImportNotFound()
    return job


def _refused(
    page: Page, session: Session, user: ConsoleCaller, program: str, key: str, reason: str,
    status: int = 422,
) -> Response:  # fmt: skip
    context = _context(session, user, program)
    return console_page(page, "imports.html", user, status_code=status,
                        error=(key, reason), **context)  # fmt: skip


def _context(session: Session, user: ConsoleCaller, program: str) -> dict[str, Any]:
    programs = program_service.list_programs(session, user.merchant_id)
    chosen = next((p for p in programs if str(p.id) == program), programs[0] if programs else None)
    recent = service.recent(session, user.merchant_id, limit=RECENT)
    names = {p.id: p.name for p in programs}
    return {"programs": programs, "chosen": chosen, "recent": recent, "program_names": names,
            "datasets": list(export.Dataset)}  # fmt: skip
