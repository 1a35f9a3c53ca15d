"""Pacing calls to Google Wallet across every process that makes them.

Google allows 20 requests per second per project (the issuer), not per process. Each
process's client spaces its own calls (``google_requests_per_second``, 15 by default), but
``loyalpass serve --workers N`` runs a sync in every worker and ``loyalpass worker`` may run
many times over: N processes at 15 per second each would be N times over Google's limit. So
every call also takes a place in a counter shared through the database (``ratelimits``):
at most :data:`PER_WINDOW` calls per :data:`WINDOW` for the issuer. Windows do not overlap,
so any one second meets at most five of them: at most 20 calls in any second, whatever the
number of processes (16 per second at most on average). A call with no place waits a moment
and asks again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from api.clock import utcnow
from api.ratelimits import service as ratelimit_service

logger = logging.getLogger(__name__)

GOOGLE_PER_SECOND = 20  # Google Wallet API: requests per second per project
WINDOW = timedelta(milliseconds=250)
# Windows a second can meet: 1 s / 250 ms, plus one it starts or ends inside.
_WINDOWS_PER_SECOND = 5
PER_WINDOW = GOOGLE_PER_SECOND // _WINDOWS_PER_SECOND
RETRY_WAIT = 0.05  # seconds before asking again for a place
SCOPE = "google_api"


class Limiter(Protocol):
    def wait(self) -> None: ...


class SharedPacer:
    """A client's limiter (``wait()`` before each call) that also holds the issuer's shared
    place: the local limiter spaces this process's calls, the database counter all of them."""

    def __init__(
        self,
        engine: Engine,
        issuer_id: str,
        local: Limiter,
        *,
        per_second: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.key = issuer_id
        self.local = local
        # never more than Google allows; fewer when the setting asks for a slower pace
        self.limit = max(1, min(PER_WINDOW, math.ceil(per_second * WINDOW.total_seconds())))
        self.sleep = sleep
        self.clock = clock

    def wait(self) -> None:
        self.local.wait()
        while not self._take_place():
            self.sleep(RETRY_WAIT)

    def _take_place(self) -> bool:
        with Session(self.engine) as session, session.begin():
            verdict = ratelimit_service.hit(session, SCOPE, self.key, limit=self.limit,
                                            window=WINDOW, now=self.clock())  # fmt: skip
        return verdict.allowed
