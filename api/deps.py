"""FastAPI dependencies: the request's session, the caller, and the objects built at start-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.merchants.models import Role
from api.merchants.service import Caller, authenticate
from api.settings import Settings

if TYPE_CHECKING:
    from jinja2 import Environment
    from sqlalchemy.engine import Engine

    from api.cards.apple import AppleWallet
    from api.designs.registry import DesignRegistry
    from api.enrolment.throttle import JoinLimits
    from api.google_wallet.sync import GoogleSync
    from api.google_wallet.wallet import GoogleWallet


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


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def get_designs(request: Request) -> DesignRegistry:
    """The shipped designs and every program's own live designs (loaded once per version)."""
    designs: DesignRegistry = request.app.state.designs
    return designs


def get_pages(request: Request) -> Environment:
    pages: Environment = request.app.state.pages
    return pages


def get_google_wallet(request: Request) -> GoogleWallet | None:
    """The Google Wallet issuer, or None where Google Wallet is not configured."""
    wallet: GoogleWallet | None = request.app.state.google_wallet
    return wallet


def get_google_sync(request: Request) -> GoogleSync | None:
    sync: GoogleSync | None = request.app.state.google_sync
    return sync


def get_join_throttle(request: Request) -> JoinLimits:
    limits: JoinLimits = request.app.state.join_limits
    return limits


CallerDep = Annotated[Caller, Depends(get_caller)]


def require_role(*roles: Role) -> Callable[[Caller], Awaitable[Caller]]:
    """A dependency that lets through keys with one of ``roles`` (admin may do anything)."""

    # async: a pure check on the event loop. A sync one would take another worker-thread hop
    # while the request holds its pooled connection; under load (more requests than threads)
    # connection holders then wait for threads held by requests waiting for a connection.
    async def dependency(caller: CallerDep) -> Caller:
        caller.require(*roles)
        return caller

    return dependency


# What a route needs, named in its signature: nothing calls ``require()`` inside a route.
AdminCaller = Annotated[Caller, Depends(require_role(Role.admin))]
PosCaller = Annotated[Caller, Depends(require_role(Role.pos))]
ReaderCaller = Annotated[Caller, Depends(require_role(Role.pos, Role.read))]
# Reports that are not the till's business (device logs): admin and read keys, not pos.
ReportCaller = Annotated[Caller, Depends(require_role(Role.read))]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AppleWalletDep = Annotated["AppleWallet", Depends(get_apple_wallet)]

EngineDep = Annotated["Engine", Depends(get_engine)]
DesignsDep = Annotated["DesignRegistry", Depends(get_designs)]
PagesDep = Annotated["Environment", Depends(get_pages)]
GoogleWalletDep = Annotated["GoogleWallet | None", Depends(get_google_wallet)]
GoogleSyncDep = Annotated["GoogleSync | None", Depends(get_google_sync)]
JoinThrottleDep = Annotated["JoinLimits", Depends(get_join_throttle)]
