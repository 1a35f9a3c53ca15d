"""FastAPI dependencies: the request's session, the caller, and the objects built at start-up."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.merchants.models import Role
from api.merchants.service import Caller, authenticate, bearer_token
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


async def get_authorization(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The request's ``Authorization`` header as ``authenticate`` reads it (None: none sent)."""
    return f"{credentials.scheme} {credentials.credentials}" if credentials else None


# The API key's header, not looked up yet (documented as the bearer scheme in OpenAPI).
AuthorizationDep = Annotated[str | None, Depends(get_authorization)]


def get_caller(session: SessionDep, authorization: AuthorizationDep) -> Caller:
    return authenticate(session, authorization)


# The getters below only read what the app built at start-up, so they are ``async``: FastAPI
# runs every sync dependency on a worker thread, and each such hop costs a request a queue
# wait and a hand-over of the interpreter lock (five hops made a purchase, see the ledger
# section of docs/BENCHMARKS.md). Anything that may block stays sync.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_apple_wallet(request: Request) -> AppleWallet:
    wallet: AppleWallet = request.app.state.apple_wallet
    return wallet


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_designs(request: Request) -> DesignRegistry:
    """The shipped designs and every program's own live designs (loaded once per version)."""
    designs: DesignRegistry = request.app.state.designs
    return designs


async def get_pages(request: Request) -> Environment:
    pages: Environment = request.app.state.pages
    return pages


async def get_google_wallet(request: Request) -> GoogleWallet | None:
    """The Google Wallet issuer, or None where Google Wallet is not configured."""
    wallet: GoogleWallet | None = request.app.state.google_wallet
    return wallet


async def get_google_sync(request: Request) -> GoogleSync | None:
    sync: GoogleSync | None = request.app.state.google_sync
    return sync


async def get_join_throttle(request: Request) -> JoinLimits:
    limits: JoinLimits = request.app.state.join_limits
    return limits


CallerDep = Annotated[Caller, Depends(get_caller)]
T = TypeVar("T")


# The hot paths' work runs on at most this many threads per process, apart from the pool the
# other routes use. With 28 requests inside a process each on its own thread, the threads spent
# their time handing the interpreter lock around (a process sat at 60 % of a core with
# requests queued); a few threads keep both cores busy, and the requests beyond them wait on
# the event loop, holding neither a thread nor a connection. Each hot path is one hop (it
# never needs a second thread while it holds a lock or a connection), so this small limit
# cannot deadlock; see "The fetch storm" in docs/BENCHMARKS.md for the measurements. The
# price: a hot path waiting on a row lock keeps its thread, so four tills queued on one
# member's lock hold up that process's other hot requests until it is released (what holds
# such locks is another purchase or a campaign's batch, for milliseconds).
HOT_THREADS = 4
_hot_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


async def on_hot_thread(work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` on one of the hot paths' threads (:data:`HOT_THREADS`)."""
    loop = asyncio.get_running_loop()
    limiter = _hot_limiters.get(loop)
    if limiter is None:  # one per event loop: each test client runs its own
        limiter = _hot_limiters[loop] = anyio.CapacityLimiter(HOT_THREADS)
    return await anyio.to_thread.run_sync(work, *args, limiter=limiter)


def _in_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return work(session)


@dataclass(frozen=True, slots=True)
class Unit:
    """A request's whole transaction on one worker thread: open it, do the work, commit, in a
    single hop (the hot paths: the till, the join, the first download).

    ``SessionDep`` with a sync route costs three hops (open, route, commit) and an API key
    one more, each a wait in the thread pool's queue and a hand-over of the interpreter lock;
    under a rush the hops, not the SQL, were the queue. Same guarantees as ``SessionDep``: one
    transaction, committed before the response is sent (a failed commit is never a 2xx),
    rolled back on any error.
    """

    engine: Engine

    async def run(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` on a worker thread; its result once committed (nothing is
        committed when it raises)."""
        return await on_hot_thread(_in_transaction, self.engine, work)


async def get_unit(request: Request) -> Unit:
    return Unit(request.app.state.engine)


@dataclass(frozen=True, slots=True)
class Work:
    """A :class:`Unit` for an API key's request: the key is looked up and its role checked
    inside the same transaction and hop as the write."""

    engine: Engine
    authorization: str
    roles: tuple[Role, ...]

    async def run(self, write: Callable[[Session, Caller], T]) -> T:
        """``write(session, caller)`` on a worker thread; its result once committed.

        Raises:
            Unauthorized, Forbidden: the key is unknown, revoked or has none of the roles;
            and whatever ``write`` raises (nothing is committed then).
        """
        return await Unit(self.engine).run(self._as_caller(write))

    def _as_caller(self, write: Callable[[Session, Caller], T]) -> Callable[[Session], T]:
        def work(session: Session) -> T:
            caller = authenticate(session, self.authorization)
            caller.require(*self.roles)
            return write(session, caller)

        return work


def unit_of_work(*roles: Role) -> Callable[..., Awaitable[Work]]:
    """A dependency giving a :class:`Work` for keys with one of ``roles``. A request without
    a bearer key is refused here (401), before its body is read; the key itself is looked up
    inside the work's transaction."""

    async def dependency(request: Request, authorization: AuthorizationDep) -> Work:
        bearer_token(authorization)
        return Work(request.app.state.engine, authorization or "", roles)

    return dependency


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
PosWork = Annotated[Work, Depends(unit_of_work(Role.pos))]
UnitDep = Annotated[Unit, Depends(get_unit)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AppleWalletDep = Annotated["AppleWallet", Depends(get_apple_wallet)]

EngineDep = Annotated["Engine", Depends(get_engine)]
DesignsDep = Annotated["DesignRegistry", Depends(get_designs)]
PagesDep = Annotated["Environment", Depends(get_pages)]
GoogleWalletDep = Annotated["GoogleWallet | None", Depends(get_google_wallet)]
GoogleSyncDep = Annotated["GoogleSync | None", Depends(get_google_sync)]
JoinThrottleDep = Annotated["JoinLimits", Depends(get_join_throttle)]
