"""The merchant console pages (``/console``). Server-rendered; the preview and the audience
count update live with a few lines of script, and work as plain forms without it."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Cookie, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.clock import utcnow
from api.console import service as console_service
from api.console.preview import Sample, build_preview
from api.deps import SessionDep, SettingsDep
from api.enrolment import qr
from api.errors import ApiError
from api.members import service as member_service
from api.merchants.models import Role
from api.merchants.service import Caller
from api.pages.render import form_fields, render_page
from api.programs import service as program_service
from api.programs.rules import rules_of
from api.rewards import service as reward_service
from api.rewards.schemas import RewardCreate
from api.transactions import service as transaction_service

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
COOKIE = "lp_console"
ConsoleCookie = Annotated[str | None, Cookie(alias=COOKIE)]
FormFields = Annotated[dict[str, str], Depends(form_fields)]
PAGE_SIZE = 25


def sign_in_redirect() -> RedirectResponse:
    """Where a console page sends a visitor who is not signed in."""
    return RedirectResponse("/console", status_code=303)


def console_page(
    request: Request, template: str, caller: Caller, **context: object
) -> HTMLResponse:
    status_code = context.pop("status_code", 200)
    assert isinstance(status_code, int)
    return render_page(
        request, f"console/{template}", status_code=status_code, caller=caller,
        can_edit=caller.role == Role.admin, **context,
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, token: ConsoleCookie = None) -> HTMLResponse:
    """The sign-in form, or the overview: enrolments, purchases and active members."""
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return render_page(request, "console/signin.html", error=None)
    charts = console_service.charts(session, caller.merchant_id, now=utcnow())
    return console_page(request, "home.html", caller, charts=charts)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, session: SessionDep, fields: FormFields) -> Response:
    try:
        token = console_service.sign_in(session, fields.get("api_key", ""), now=utcnow())
    except console_service.ConsoleSignInFailed:
        return render_page(
            request, "console/signin.html", status_code=401, error="err_console_signin"
        )
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        COOKIE, token, max_age=int(console_service.SESSION_LENGTH.total_seconds()),
        httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/console",
    )  # fmt: skip
    return response


@router.post("/sign-out")
def sign_out(session: SessionDep, token: ConsoleCookie = None) -> RedirectResponse:
    console_service.sign_out(session, token)
    response = RedirectResponse("/console", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/members", response_class=HTMLResponse)
def members(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    program: Annotated[str, Query(max_length=36)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    token: ConsoleCookie = None,
) -> Response:
    """Members, newest first, searched by name, phone, email or card number."""
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return sign_in_redirect()
    program_id = parse_uuid(program)
    found = member_service.search(
        session, caller.merchant_id, query=q or None, program_id=program_id, limit=PAGE_SIZE,
        offset=offset, public_url=settings.public_url,
    )  # fmt: skip
    programs = program_service.list_programs(session, caller.merchant_id)
    return console_page(
        request, "members.html", caller, found=found, q=q, program=program, programs=programs,
        page_size=PAGE_SIZE,
    )  # fmt: skip


@router.get("/members/{member_id}", response_class=HTMLResponse)
def member(
    member_id: UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: ConsoleCookie = None,
) -> Response:
    """One member with their ledger."""
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return sign_in_redirect()
    found, card = member_service.get_member(session, caller.merchant_id, member_id)
    public = member_service.public(session, found, card, public_url=settings.public_url)
    ledger = transaction_service.list_transactions(
        session, caller.merchant_id, member_id, limit=100, offset=0
    )
    return console_page(request, "member.html", caller, member=public, ledger=ledger)


@router.get("/programs", response_class=HTMLResponse)
def programs(request: Request, session: SessionDep, token: ConsoleCookie = None) -> Response:
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return sign_in_redirect()
    listed = program_service.list_programs(session, caller.merchant_id)
    return console_page(request, "programs.html", caller, programs=listed)


@router.get("/programs/{program_id}", response_class=HTMLResponse)
def program(
    program_id: UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: ConsoleCookie = None,
    name: Annotated[str, Query(max_length=60)] = "Anna Petrova",
    points: Annotated[int, Query(ge=0, le=10_000_000)] = 120,
    stamps: Annotated[int, Query(ge=0, le=50)] = 3,
    tier: Annotated[str, Query(max_length=40)] = "",
    message: Annotated[str, Query(max_length=200)] = "",
    fragment: bool = False,
) -> Response:
    """A program's settings, rewards, join link and the live card preview (``fragment=1``:
    the preview alone, which the page's script swaps in as the sample changes)."""
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return sign_in_redirect()
    found = program_service.get_program(session, caller.merchant_id, program_id)
    sample = Sample(name or "Anna Petrova", points, stamps, tier or None, message or None)
    preview = build_preview(
        request.app.state.apple_wallet, request.app.state.designs[found.design],
        stamps_required=found.stamps_required, sample=sample, today=utcnow().date(),
    )  # fmt: skip
    if fragment:
        return console_page(request, "_preview.html", caller, preview=preview)
    return _program_page(request, session, settings.public_url, caller, found.id, preview, sample)


@router.post("/programs/{program_id}", response_class=HTMLResponse)
def change_program(
    program_id: UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    fields: FormFields,
    token: ConsoleCookie = None,
) -> Response:
    """Save the mechanics (JSON) or add a reward."""
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return sign_in_redirect()
    error = None
    try:
        if fields.get("action") == "rules":
            _, error = console_service.replace_rules(
                session, caller, program_id, fields.get("rules", "")
            )
        elif fields.get("action") == "reward":
            caller.require(Role.admin)
            data = RewardCreate(name=fields.get("name", ""), cost_points=fields.get("cost") or None)
            reward_service.create_reward(session, caller.merchant_id, program_id, data)
    except ValidationError as exc:
        error = "; ".join(str(e["msg"]) for e in exc.errors())
    except ApiError as exc:
        error = exc.detail or exc.title
    found = program_service.get_program(session, caller.merchant_id, program_id)
    preview = build_preview(
        request.app.state.apple_wallet, request.app.state.designs[found.design],
        stamps_required=found.stamps_required, sample=Sample(), today=utcnow().date(),
    )  # fmt: skip
    return _program_page(
        request, session, settings.public_url, caller, program_id, preview, Sample(),
        error=error, saved=error is None, rules_text=fields.get("rules") if error else None,
    )  # fmt: skip


def _program_page(
    request: Request,
    session: SessionDep,
    public_url: str,
    caller: Caller,
    program_id: UUID,
    preview: object,
    sample: Sample,
    *,
    error: str | None = None,
    saved: bool = False,
    rules_text: str | None = None,
) -> HTMLResponse:
    found = program_service.get_program(session, caller.merchant_id, program_id)
    rules = rules_of(found)
    return console_page(
        request, "program.html", caller, program=found,
        rules_text=rules_text or rules.model_dump_json(indent=2),
        rewards=reward_service.list_rewards(session, caller.merchant_id, found.id),
        join_url=qr.join_url(public_url, found.public_slug), preview=preview, sample=sample,
        error=error, saved=saved, status_code=422 if error else 200,
    )  # fmt: skip


@router.get("/stores", response_class=HTMLResponse)
def stores(request: Request, session: SessionDep, token: ConsoleCookie = None) -> Response:
    """The stores with their coordinates, and each one's join QR code."""
    caller = console_service.signed_in(session, token, now=utcnow())
    if caller is None:
        return sign_in_redirect()
    listed = console_service.stores(session, caller.merchant_id)
    programs = program_service.list_programs(session, caller.merchant_id)
    return console_page(request, "stores.html", caller, stores=listed, programs=programs)


def parse_uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None
