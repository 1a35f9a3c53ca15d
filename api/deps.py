"""FastAPI dependencies: the request's session, the caller, and the objects built at start-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.merchants.models import Role
from api.merchants.service import Caller, authenticate
from api.settings import Settings

if TYPE_CHECKING:
    from api.cards.apple import AppleWallet


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on error."""
    with Session(request.app.state.engine, expire_on_commit=False) as session, session.begin():
        yield session


# scope="function": commit before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
_bearer = HTTPBearer(auto_error=False, description="A merchant API key: `lp_...`")


def get_caller(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    return authenticate(session, header)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_apple_wallet(request: Request) -> AppleWallet:
    wallet: AppleWallet = request.app.state.apple_wallet
    return wallet


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_role(*roles: Role) -> Callable[[Caller], Caller]:
    """A dependency that lets through keys with one of ``roles`` (admin may do anything)."""

    def dependency(caller: CallerDep) -> Caller:
        caller.require(*roles)
        return caller

    return dependency


# What a route needs, named in its signature: nothing calls ``require()`` inside a route.
AdminCaller = Annotated[Caller, Depends(require_role(Role.admin))]
PosCaller = Annotated[Caller, Depends(require_role(Role.pos))]
ReaderCaller = Annotated[Caller, Depends(require_role(Role.pos, Role.read))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AppleWalletDep = Annotated["AppleWallet", Depends(get_apple_wallet)]
