"""The console's status page (``/console/status``): certificate expiry (a warning from 30
days before), APNs and its last answer, the Google Wallet key, the outbox lag and pending
pushes. It shows the installation's state, which holds no merchant's data; owners, managers
and admin keys see it. The numbers come from ``api.status``, as the API's and /metrics'."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.clock import utcnow
from api.console.auth import ConsoleUser
from api.console.routes import console_page
from api.deps import SessionDep, SettingsDep
from api.pages.render import PageDep
from api.status import service as status_service

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)


@router.get("/status", response_class=HTMLResponse)
def status_page(
    page: PageDep, session: SessionDep, settings: SettingsDep, user: ConsoleUser
) -> HTMLResponse:
    if not user.can_edit:
        return console_page(page, "status.html", user, status_code=403, section="nav_status",
                            error="status_editors_only", status=None)  # fmt: skip
    status = status_service.operator_status(session, settings, now=utcnow())
    return console_page(page, "status.html", user, section="nav_status", error=None,
                        status=status)  # fmt: skip
