"""The owner's API keys page (``/console/account/keys``): list, make (the secret is shown
once), revoke. Rules in ``api.accounts.keys``; a refused form answers 4xx, never 500."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.accounts import keys
from api.accounts.service import AccountCaller
from api.clock import utcnow
from api.console.auth import AccountUser
from api.deps import SessionDep
from api.errors import Forbidden, InvalidRequest, NotFound
from api.merchants.models import Role
from api.pages.render import FormFields, Page, PageDep

router = APIRouter(prefix="/console/account", tags=["pages"], include_in_schema=False)


def _keys_page(page: Page, session: SessionDep, user: AccountCaller, *, status_code: int = 200,
               **context: Any) -> HTMLResponse:  # fmt: skip
    try:
        listed = keys.list_keys(session, user)
    except Forbidden:
        return page.render("console/keys.html", status_code=403, caller=user,
                           can_edit=user.can_edit, section="nav_account", keys=None,
                           error="err_owner_only")  # fmt: skip
    return page.render(
        "console/keys.html", status_code=status_code, caller=user, can_edit=user.can_edit,
        section="nav_account", keys=listed, roles=list(Role), **context,
    )  # fmt: skip


@router.get("/keys", response_class=HTMLResponse)
def list_keys(page: PageDep, session: SessionDep, user: AccountUser) -> Response:
    return _keys_page(page, session, user)


@router.post("/keys", response_class=HTMLResponse)
def create_key(
    page: PageDep, session: SessionDep, user: AccountUser, fields: FormFields
) -> Response:
    """Make a key; its secret is on this answer only."""
    try:
        secret = keys.create_key(session, user, name=fields.get("name", ""),
                                 role=fields.get("role", ""))  # fmt: skip
    except Forbidden:
        return _keys_page(page, session, user)
    except InvalidRequest:
        return _keys_page(page, session, user, status_code=422, error="err_key")
    return _keys_page(page, session, user, secret=secret)


@router.post("/keys/{key_id}", response_class=HTMLResponse)
def revoke_key(key_id: UUID, page: PageDep, session: SessionDep, user: AccountUser) -> Response:
    try:
        keys.revoke_key(session, user, key_id, now=utcnow())
    except Forbidden:
        return _keys_page(page, session, user)
    except NotFound:
        return _keys_page(page, session, user, status_code=404, error="err_key")
    return RedirectResponse("/console/account/keys", status_code=303)
