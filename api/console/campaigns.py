"""The console's campaign page: a message to a segment, with the audience counted live
before it is sent (the counting reuses the campaign service's own query)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.clock import utcnow
from api.console import service as console_service
from api.console.auth import ConsoleUser, MaybeConsoleUser
from api.console.routes import console_page
from api.deps import SessionDep
from api.pages.render import FormFields, PageDep

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(
    page: PageDep,
    session: SessionDep,
    user: ConsoleUser,
    program: Annotated[str, Query(max_length=36)] = "",
) -> Response:
    """Send a message to a segment, with the audience counted before sending."""
    context = console_service.campaigns_page(
        session, user.merchant_id, {"program": program}, now=utcnow()
    )
    return console_page(page, "campaigns.html", user, **context)


@router.get("/campaigns/audience")
def audience(request: Request, session: SessionDep, user: MaybeConsoleUser) -> JSONResponse:
    """How many members the campaign form's audience has (the page's live count)."""
    if user is None:
        return JSONResponse({"members": None}, status_code=401)
    fields = dict(request.query_params)
    count, _ = console_service.audience(session, user.merchant_id, fields, now=utcnow())
    return JSONResponse({"members": count})


@router.post("/campaigns", response_class=HTMLResponse)
def send_campaign(
    page: PageDep, session: SessionDep, user: ConsoleUser, fields: FormFields
) -> Response:
    """``action=send``: send the message now; any other action counts the audience again."""
    now = utcnow()
    if fields.get("action") != "send":
        context = console_service.campaigns_page(session, user.merchant_id, fields, now=now)
        return console_page(page, "campaigns.html", user, **context)
    campaign, error = console_service.send_campaign(session, user, fields, now=now)
    if campaign is None:
        context = console_service.campaigns_page(session, user.merchant_id, fields, now=now)
        return console_page(page, "campaigns.html", user, error=error, status_code=422, **context)
    shown = {"program": str(campaign.program_id)}
    context = console_service.campaigns_page(session, user.merchant_id, shown, now=now)
    return console_page(page, "campaigns.html", user, sent=campaign, **context)
