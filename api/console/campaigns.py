"""The console's campaign page: a message to a segment, with the audience counted live
before it is sent, per channel with the SMS cost (the counting reuses the campaign service's
own queries), and how far each sent campaign's messages got."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlmodel import Session

from api.clock import utcnow
from api.console import reach
from api.console import service as console_service
from api.console.auth import ConsoleUser, MaybeConsoleUser
from api.console.routes import console_page
from api.deps import SessionDep, SettingsDep
from api.pages.render import FormFields, PageDep
from api.settings import Settings

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)


def _page(
    session: Session, merchant_id: UUID, fields: Mapping[str, str], settings: Settings,
    now: datetime,
) -> dict[str, Any]:  # fmt: skip
    context = console_service.campaigns_page(session, merchant_id, fields, now=now)
    context["reach"] = reach.preview(session, merchant_id, context["fields"],
                                     sms_price=settings.sms_segment_price, now=now)  # fmt: skip
    context["stats"] = reach.stats(session, context["campaigns"])
    context["channel_choices"] = reach.CHANNEL_CHOICES
    return context


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(
    page: PageDep,
    session: SessionDep,
    settings: SettingsDep,
    user: ConsoleUser,
    program: Annotated[str, Query(max_length=36)] = "",
) -> Response:
    """Send a message to a segment, with the audience counted before sending."""
    context = _page(session, user.merchant_id, {"program": program}, settings, utcnow())
    return console_page(page, "campaigns.html", user, **context)


@router.get("/campaigns/audience")
def audience(request: Request, session: SessionDep, user: MaybeConsoleUser) -> JSONResponse:
    """How many members the campaign form's audience has (the page's live count)."""
    if user is None:
        return JSONResponse({"members": None}, status_code=401)
    fields = dict(request.query_params)
    count, _ = console_service.audience(session, user.merchant_id, fields, now=utcnow())
    return JSONResponse({"members": count})


@router.get("/campaigns/reach")
def channel_reach(
    request: Request, session: SessionDep, settings: SettingsDep, user: MaybeConsoleUser
) -> JSONResponse:
    """The campaign form's audience per channel and the SMS parts and cost (the page's live
    preview); ``members`` null when the form is incomplete or wrong."""
    if user is None:
        return JSONResponse({"members": None}, status_code=401)
    found = reach.preview(session, user.merchant_id, dict(request.query_params),
                          sms_price=settings.sms_segment_price, now=utcnow())  # fmt: skip
    if found is None:
        return JSONResponse({"members": None})
    return JSONResponse(found.model_dump(mode="json"))


@router.post("/campaigns", response_class=HTMLResponse)
def send_campaign(
    page: PageDep, session: SessionDep, settings: SettingsDep, user: ConsoleUser,
    fields: FormFields,
) -> Response:  # fmt: skip
    """``action=send``: send the message now; any other action counts the audience again."""
    now = utcnow()
    if fields.get("action") != "send":
        context = _page(session, user.merchant_id, fields, settings, now)
        return console_page(page, "campaigns.html", user, **context)
    campaign, error = console_service.send_campaign(session, user, fields, now=now)
    if campaign is None:
        context = _page(session, user.merchant_id, fields, settings, now)
        return console_page(page, "campaigns.html", user, error=error, status_code=422, **context)
    shown = {"program": str(campaign.program_id)}
    context = _page(session, user.merchant_id, shown, settings, now)
    return console_page(page, "campaigns.html", user, sent=campaign, **context)
