"""The console's audit log page (``/console/audit``): the newest changes first, a page at a
time, filtered by action; owners, managers and admin keys only (it names people and
addresses). Entries come from ``api.audit``."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.audit import service as audit_service
from api.audit.models import AuditEntry
from api.console.auth import ConsoleUser
from api.console.routes import console_page
from api.deps import SessionDep
from api.pages.render import PageDep
from api.paging import PageRequest

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)
PER_PAGE = 50


def _change(entry: AuditEntry) -> str:
    """Before and after on one line, only the fields that differ (all of a creation)."""
    before, after = entry.before or {}, entry.after or {}
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    shown = {k: [before.get(k), after.get(k)] for k in keys}
    return json.dumps(shown, ensure_ascii=False, default=str)[:600]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    page: PageDep,
    session: SessionDep,
    user: ConsoleUser,
    action: Annotated[str, Query(max_length=60)] = "",
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    if not user.can_edit:
        return console_page(page, "audit.html", user, status_code=403, section="nav_audit",
                            error="audit_editors_only", entries=[], action=action)  # fmt: skip
    rows, total = audit_service.page_entries(
        session, user.merchant_id, PageRequest(PER_PAGE, offset), action=action or None
    )
    entries: list[dict[str, Any]] = [{"row": row, "change": _change(row)} for row in rows]
    after = offset + PER_PAGE
    return console_page(
        page, "audit.html", user, section="nav_audit", error=None, entries=entries,
        action=action, next_offset=after if after < total else None,
    )  # fmt: skip
