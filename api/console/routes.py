"""The merchant console pages (``/console``). Server-rendered; the preview and the audience
count update live with a few lines of script, and work as plain forms without it."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.clock import utcnow
from api.console import auth, design_routes
from api.console import service as console_service
from api.console.auth import ConsoleUser, MaybeConsoleUser
from api.console.mechanics import router as mechanics_router
from api.console.preview import Sample
from api.console.service import ConsoleCaller
from api.deps import AppleWalletDep, DesignsDep, SessionDep, SettingsDep
from api.outbound import service as outbound_service
from api.pages.render import FormFields, Page, PageDep

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)


def console_page(
    page: Page, template: str, user: ConsoleCaller, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return page.render(
        f"console/{template}", status_code=status_code, caller=user.caller,
        can_edit=user.can_edit, **context,
    )  # fmt: skip


@router.get("", response_class=HTMLResponse)
def home(page: PageDep, session: SessionDep, user: MaybeConsoleUser) -> HTMLResponse:
    """The sign-in form, or the overview: enrolments, purchases and active members."""
    if user is None:
        return page.render("console/signin.html", error=None)
    charts = console_service.charts(session, user.merchant_id, now=utcnow())
    alerts = outbound_service.merchant_alerts(session, user.merchant_id)
    return console_page(page, "home.html", user, charts=charts, delivery_alerts=alerts)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, page: PageDep, session: SessionDep, fields: FormFields) -> Response:
    """An account's email and password (and TOTP code), or an API key."""
    return auth.sign_in_form(request, page, session, fields)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep) -> Response:
    return auth.sign_out(request, session)


@router.get("/members", response_class=HTMLResponse)
def members(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    user: ConsoleUser,
    q: Annotated[str, Query(max_length=100)] = "",
    program: Annotated[str, Query(max_length=36)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Members, newest first, searched by name, phone, email or card number."""
    context = console_service.members_page(
        session, user.merchant_id, q=q, program=program, offset=offset,
        public_url=settings.public_url,
    )  # fmt: skip
    return console_page(page, "members.html", user, **context)


@router.get("/members/{member_id}", response_class=HTMLResponse)
def member(
    member_id: UUID, page: PageDep, session: SessionDep, settings: SettingsDep, user: ConsoleUser
) -> Response:
    """One member with their ledger."""
    context = console_service.member_page(
        session, user.merchant_id, member_id, public_url=settings.public_url, now=utcnow()
    )
    return console_page(page, "member.html", user, **context)


@router.get("/programs", response_class=HTMLResponse)
def programs(page: PageDep, session: SessionDep, user: ConsoleUser) -> Response:
    context = console_service.programs_page(session, user.merchant_id)
    return console_page(page, "programs.html", user, **context)


@router.get("/programs/{program_id}", response_class=HTMLResponse)
def program(
    program_id: UUID,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    wallet: AppleWalletDep,
    designs: DesignsDep,
    user: ConsoleUser,
    name: Annotated[str, Query(max_length=60)] = "Anna Petrova",
    points: Annotated[int, Query(ge=0, le=10_000_000)] = 120,
    stamps: Annotated[int, Query(ge=0, le=50)] = 3,
    tier: Annotated[str, Query(max_length=40)] = "",
    message: Annotated[str, Query(max_length=200)] = "",
    fragment: bool = False,
) -> Response:
    """A program's settings, rewards, join link and the live card preview (``fragment=1``:
    the preview alone, which the page's script swaps in as the sample changes)."""
    sample = Sample(name or "Anna Petrova", points, stamps, tier or None, message or None)
    preview = console_service.preview(
        session, user.merchant_id, program_id, wallet=wallet, designs=designs, sample=sample,
        today=utcnow().date(),
    )  # fmt: skip
    if fragment:
        return console_page(page, "_preview.html", user, preview=preview)
    context = console_service.program_page(
        session, user.merchant_id, program_id, public_url=settings.public_url, preview=preview,
        sample=sample,
    )  # fmt: skip
    return console_page(page, "program.html", user, saved=False, **context)


@router.post("/programs/{program_id}", response_class=HTMLResponse)
def change_program(
    program_id: UUID,
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    wallet: AppleWalletDep,
    designs: DesignsDep,
    user: ConsoleUser,
    fields: FormFields,
) -> Response:
    """Save the mechanics (JSON) or add a reward."""
    error = console_service.change_program(session, user, program_id, fields)
    preview = console_service.preview(
        session, user.merchant_id, program_id, wallet=wallet, designs=designs, sample=Sample(),
        today=utcnow().date(),
    )  # fmt: skip
    context = console_service.program_page(
        session, user.merchant_id, program_id, public_url=settings.public_url, preview=preview,
        sample=Sample(), error=error, rules_text=fields.get("rules") if error else None,
    )  # fmt: skip
    return console_page(
        page, "program.html", user, saved=error is None, status_code=422 if error else 200,
        **context,
    )  # fmt: skip


@router.get("/stores", response_class=HTMLResponse)
def stores(page: PageDep, session: SessionDep, user: ConsoleUser) -> Response:
    """The stores with their coordinates, and each one's join QR code."""
    context = console_service.stores_page(session, user.merchant_id)
    return console_page(page, "stores.html", user, **context)


router.include_router(design_routes.router)
router.include_router(mechanics_router)  # the mechanics editor, /console/programs/{id}/rules
