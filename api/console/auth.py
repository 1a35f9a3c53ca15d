"""The console's sign-in dependency: who is signed in, and whether their key may edit.

Every console page takes ``ConsoleUser`` (or ``MaybeConsoleUser`` where a visitor who is not
signed in sees the sign-in form). The console's role check is made here, once: an ``admin`` key
edits, a ``read`` key only reads (a ``pos`` key cannot sign in at all).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.clock import utcnow
from api.console import service as console_service
from api.console.service import ConsoleCaller
from api.deps import SessionDep
from api.merchants.models import Role
from api.pages.sessions import SessionCookie, SignInRequired

COOKIE = SessionCookie("lp_console", "/console", console_service.SESSION_LENGTH)


def get_console_user(request: Request, session: SessionDep) -> ConsoleCaller | None:
    caller = console_service.signed_in(session, COOKIE.token(request), now=utcnow())
    if caller is None:
        return None
    return ConsoleCaller(caller, can_edit=caller.role == Role.admin)


MaybeConsoleUser = Annotated[ConsoleCaller | None, Depends(get_console_user)]


def require_console_user(user: MaybeConsoleUser) -> ConsoleCaller:
    """The signed-in caller; a visitor who is not signed in is sent to the sign-in form."""
    if user is None:
        raise SignInRequired(COOKIE.path)
    return user


ConsoleUser = Annotated[ConsoleCaller, Depends(require_console_user)]
