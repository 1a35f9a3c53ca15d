"""A rate limiter shared by every process through the database.

``hit(session, scope, key, limit=..., window=..., now=...)`` counts one event for ``key`` in
``scope`` and says whether it is within ``limit`` events per ``window``, and if not, how long
to wait. A *scope* names one rule (``join_address``, ``staff_pin``, ...); a *key* is whom the
rule counts (a client address, a phone number, a staff code and address).

- Fixed windows that start with a key's first hit: ``limit`` hits are allowed until
  ``window`` has passed since then, the next hit after that starts a new window. A key can
  therefore get up to ``2 * limit`` hits across the end of one window and the start of the
  next; pick ``limit`` with that in mind. Refused hits count too (a client that keeps
  hammering gets no extra hits), but do not move the window's end.
- Exact under concurrency: each hit is one atomic ``INSERT ... ON CONFLICT DO UPDATE ...
  RETURNING``. On PostgreSQL it locks the key's row until the caller's transaction ends, so
  concurrent hits on one key wait for each other: with ``limit`` N, at most N callers see
  ``allowed`` per window, whichever process they run in. Keep the transaction after a hit
  short; hit several scopes in the same order everywhere.
- The hit is part of the caller's transaction: it counts if that commits. A caller that
  refuses should answer normally (commit), not raise through a rolled-back transaction.
- Keys are stored as their SHA-256 (addresses and contacts are personal data). Ended windows
  are deleted now and then by ``hit`` itself (``purge``), so the table stays small without a
  job.
- ``reset`` forgets a key (a correct PIN clears the failures before it); ``forgive`` takes
  one hit back (an attempt that turned out legitimate should not count).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from api.ratelimits import repository

PURGE_EVERY = 100  # on average one hit in this many also deletes ended windows
PURGE_BATCH = 500


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to one hit: whether it is allowed, the hits left in this window (0 on the
    last allowed one), and the seconds until the window ends (``Retry-After``)."""

    allowed: bool
    remaining: int
    retry_after_seconds: int


def hit(
    session: Session, scope: str, key: str, *, limit: int, window: timedelta, now: datetime
) -> Verdict:
    """Count one event of ``key`` in ``scope``: allowed while the window holds at most
    ``limit`` of them."""
    if secrets.randbelow(PURGE_EVERY) == 0:
        purge(session, now=now)
    hits, expires_at = repository.count_hit(session, scope, _hash(key), now=now, window=window)
    # At most the window: a caller whose ``now`` was taken just before another's first hit
    # of the window would otherwise be told to wait a moment longer than the window.
    retry_after = min(math.ceil(window.total_seconds()),
                      max(1, math.ceil((expires_at - now).total_seconds())))  # fmt: skip
    return Verdict(hits <= limit, max(0, limit - hits), retry_after)


def reset(session: Session, scope: str, key: str) -> None:
    """Forget every hit of ``key`` in ``scope``."""
    repository.delete_key(session, scope, _hash(key))


def forgive(session: Session, scope: str, key: str, *, now: datetime) -> None:
    """Take one hit of ``key`` back (in its current window)."""
    repository.take_back_hit(session, scope, _hash(key), now=now)


def purge(session: Session, *, now: datetime, batch: int = PURGE_BATCH) -> int:
    """Delete up to ``batch`` counters whose window has ended; returns how many."""
    return repository.delete_ended(session, before=now, limit=batch)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
