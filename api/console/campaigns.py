"""The console's campaign page: a message to a segment, with the audience counted live
before it is sent (the counting reuses the campaign service's own query)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from api.campaigns import service as campaign_service
from api.clock import utcnow
from api.console import service as console_service
from api.console.routes import ConsoleCookie, FormFields, console_page, parse_uuid, sign_in_redirect
from api.deps import SessionDep
from api.errors import ApiError
from api.merchants.models import Role
from api.merchants.service import Caller
from api.programs import service as program_service
from api.segments import service as segment_service
from api.segments.filters import SegmentFilter

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(
    request: Request,
    session: SessionDep,
    token: ConsoleCookie = None,
    program: Annotated[str, Query(max_length=36)] = "",
) -> Response:
    """Send a message to a segment, with the audience counted before sending."""
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return sign_in_redirect()
    return _campaign_page(request, session, caller, {"program": program})


@router.get("/campaigns/audience")
def audience(request: Request, session: SessionDep, token: ConsoleCookie = None) -> JSONResponse:
    """How many members the campaign form's audience has (the page's live count)."""
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return JSONResponse({"members": None}, status_code=401)
    fields = dict(request.query_params)
    count, _ = _audience(session, caller, fields)
    return JSONResponse({"members": count})


@router.post("/campaigns", response_class=HTMLResponse)
def send_campaign(
    request: Request, session: SessionDep, fields: FormFields, token: ConsoleCookie = None
) -> Response:
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return sign_in_redirect()
    if fields.get("action") != "send":
        return _campaign_page(request, session, caller, fields)
    try:
        caller.require(Role.admin)
        program_id, segment_id, segment = _audience_of(fields)
        if program_id is None:
            raise ValueError("choose a program")
        campaign = campaign_service.create(
            session, caller.merchant_id, program_id, name=fields.get("name", "").strip()[:100],
            message=fields.get("message", "").strip(), segment_id=segment_id, segment=segment,
            send_at=None, now=utcnow(),
        )  # fmt: skip
    except (ApiError, ValueError) as exc:
        message = (exc.detail or exc.title) if isinstance(exc, ApiError) else _first_error(exc)
        return _campaign_page(request, session, caller, fields, error=message, status_code=422)
    return _campaign_page(request, session, caller, {"program": str(program_id)}, sent=campaign)


def _campaign_page(
    request: Request,
    session: SessionDep,
    caller: Caller,
    fields: dict[str, str],
    **context: object,
) -> HTMLResponse:
    programs = program_service.list_programs(session, caller.merchant_id)
    program_id = parse_uuid(fields.get("program", "")) or (programs[0].id if programs else None)
    fields = {**fields, "program": str(program_id or "")}
    count, error = _audience(session, caller, fields)
    segments = (
        segment_service.list_for_program(session, caller.merchant_id, program_id)
        if program_id
        else []
    )
    sent = (
        campaign_service.list_for_program(session, caller.merchant_id, program_id)
        if program_id
        else []
    )
    return console_page(
        request, "campaigns.html", caller, programs=programs, fields=fields, count=count,
        segments=segments, campaigns=sent, audience_error=error, **context,
    )  # fmt: skip


def _audience(
    session: SessionDep, caller: Caller, fields: dict[str, str]
) -> tuple[int | None, str | None]:
    try:
        program_id, segment_id, segment = _audience_of(fields)
        if program_id is None:
            return None, None
        if segment_id is not None:
            saved = segment_service.get(session, caller.merchant_id, segment_id)
            segment = SegmentFilter.model_validate(saved.filter)
        count = campaign_service.audience_count(
            session, caller.merchant_id, program_id, segment or SegmentFilter(), utcnow()
        )
    except (ApiError, ValueError) as exc:
        return None, (exc.detail or exc.title) if isinstance(exc, ApiError) else _first_error(exc)
    return count, None


def _audience_of(fields: dict[str, str]) -> tuple[UUID | None, UUID | None, SegmentFilter | None]:
    """The program, saved segment and inline filter a campaign form names."""
    segment_id = parse_uuid(fields.get("segment", ""))
    conditions = {
        name: fields[name]
        for name in ("min_balance", "visited_within_days", "not_visited_for_days")
        if fields.get(name, "").strip()
    }
    segment = None if segment_id else SegmentFilter.model_validate(conditions)
    return parse_uuid(fields.get("program", "")), segment_id, segment


def _first_error(exc: ValueError) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}".lstrip(": ")
    return str(exc)
