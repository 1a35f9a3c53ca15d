"""The console's sign-in: who is signed in, and whether they may edit.

People sign in with their account's email and password (``api.accounts``: rate limits,
lockout, an optional TOTP code). An ``admin`` or ``read`` API key still signs in too, as the
operator's and integrator's fallback: a key is the merchant's full (or read-only) power
already, and every existing tool and test that signs in with one keeps working; owners make
and revoke keys. Every console page takes ``ConsoleUser`` (or ``MaybeConsoleUser`` where a
visitor who is not signed in sees the sign-in form). The role check is made here, once: an
owner, a manager or an ``admin`` key edits; an analyst or a ``read`` key only reads (a ``pos``
key cannot sign in at all).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse

from api.accounts import service as account_service
from api.accounts.errors import AccountSignInFailed, AccountSignInLocked, SecondFactorFailed
from api.accounts.service import AccountCaller
from api.clock import utcnow
from api.console import service as console_service
from api.console.errors import ConsoleSignInFailed
from api.console.service import ConsoleCaller
from api.deps import SessionDep
from api.merchants.models import Role
from api.pages.render import Page
from api.pages.sessions import SessionCookie, SignInRequired

COOKIE = SessionCookie("lp_console", "/console", console_service.SESSION_LENGTH)


def get_console_user(request: Request, session: SessionDep) -> ConsoleCaller | None:
    token, now = COOKIE.token(request), utcnow()
    account = account_service.signed_in(session, token, now=now)
    if account is not None:
        return ConsoleCaller(account, can_edit=account.can_edit)
    caller = console_service.signed_in(session, token, now=now)
    if caller is None:
        return None
    return ConsoleCaller(caller, can_edit=caller.role == Role.admin)


MaybeConsoleUser = Annotated[ConsoleCaller | None, Depends(get_console_user)]


async def require_console_user(user: MaybeConsoleUser) -> ConsoleCaller:
    """The signed-in caller; a visitor who is not signed in is sent to the sign-in form."""
    if user is None:
        raise SignInRequired(COOKIE.path)
    return user


ConsoleUser = Annotated[ConsoleCaller, Depends(require_console_user)]


async def require_account(user: ConsoleUser) -> AccountCaller:
    """The signed-in person (the account pages have nothing to show an API-key session:
    it is sent to the overview)."""
    if not isinstance(user.caller, AccountCaller):
        raise SignInRequired(COOKIE.path)
    return user.caller


AccountUser = Annotated[AccountCaller, Depends(require_account)]


def covers_store(user: ConsoleCaller, store_id: UUID) -> bool:
    """Whether a console page may show or change per-store data of ``store_id`` for
    ``user``: a manager scoped to stores sees theirs; everyone else (owners, analysts,
    managers without a scope, API keys) every store."""
    caller = user.caller
    return not isinstance(caller, AccountCaller) or caller.covers_store(store_id)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def sign_in_form(
    request: Request, page: Page, session: SessionDep, fields: dict[str, str]
) -> Response:
    """The sign-in form's answer: an API key when one was typed, else email and password."""
    now = utcnow()
    try:
        if fields.get("api_key", "").strip():
            token = console_service.sign_in(session, fields["api_key"], now=now)
        else:
            token = account_service.sign_in(
                session, fields.get("email", ""), fields.get("password", ""),
                code=fields.get("code", ""), client=client_address(request),
                user_agent=request.headers.get("user-agent", ""), now=now,
            )  # fmt: skip
    except ConsoleSignInFailed:
        return _refused(page, "err_console_signin", fields)
    except AccountSignInLocked as exc:
        response = _refused(page, "err_account_locked", fields)
        response.headers["Retry-After"] = str(exc.extra.get("retry_after", 1))
        return response
    except SecondFactorFailed:
        return _refused(page, "err_second_factor", fields, needs_code=True)
    except AccountSignInFailed:
        return _refused(page, "err_account_signin", fields)
    return COOKIE.signed_in_redirect(token, request=request)


def _refused(
    page: Page, error: str, fields: dict[str, str], *, needs_code: bool = False
) -> HTMLResponse:
    email = fields.get("email", "")[:254]
    return page.render(
        "console/signin.html", status_code=401, error=error, email=email, needs_code=needs_code
    )


def sign_out(request: Request, session: SessionDep) -> Response:
    """Ends the session behind the cookie (an account's or a key's) and clears it."""
    token = COOKIE.token(request)
    account_service.sign_out(session, token)
    console_service.sign_out(session, token)
    return COOKIE.signed_out_redirect()
