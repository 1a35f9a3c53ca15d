"""``Idempotency-Key`` handling for writes.

The route claims the key, runs the write, then saves the reply: this module returns data and
calls nothing above it. The key is claimed by inserting its row inside the request's own
transaction, so a concurrent retry waits on the unique index until the first attempt commits
(then replays its response) or rolls back (then runs itself). A failed request stores nothing,
so it can be retried.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlmodel import Session

from api.db import insert_unless_conflict
from api.idempotency import repository as idempotency_repository
from api.idempotency.errors import IdempotencyKeyReused, InvalidIdempotencyKey
from api.idempotency.models import IdempotencyRecord

REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer: the status and JSON body, and whether it is a stored one replayed."""

    status_code: int
    body: Any
    is_replay: bool = False


@dataclass(frozen=True, slots=True)
class Claim:
    """A request that runs now; ``record_id`` is its key's row (None: no key was sent)."""

    record_id: UUID | None


def fingerprint(method: str, path: str, body: BaseModel | None) -> str:
    payload = body.model_dump(mode="json") if body is not None else None
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def claim(
    session: Session, merchant_id: UUID, key: str | None, request_fingerprint: str
) -> Claim | Reply:
    """Claim ``key`` for this request: a :class:`Claim` to :func:`save` the reply under once
    the write is done, or the stored :class:`Reply` when the key has answered already.

    Raises:
        InvalidIdempotencyKey: the key is empty, too long or not printable.
        IdempotencyKeyReused: the key was used with a different request.
    """
    if key is None:
        return Claim(None)
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidIdempotencyKey(f"use 1 to {MAX_KEY_LENGTH} printable characters")
    record = IdempotencyRecord(merchant_id=merchant_id, key=key, fingerprint=request_fingerprint)
    if not insert_unless_conflict(session, record):
        return _replay(session, merchant_id, key, request_fingerprint)
    return Claim(record.id)


def save(session: Session, claimed: Claim, status_code: int, body: BaseModel) -> Reply:
    """The reply to a claimed request, stored under its key (in the request's transaction)."""
    payload: Any = body.model_dump(mode="json")
    if claimed.record_id is not None:
        idempotency_repository.save_reply(
            session, claimed.record_id, status_code=status_code, body=payload
        )
    return Reply(status_code, payload)


def _replay(session: Session, merchant_id: UUID, key: str, request_fingerprint: str) -> Reply:
    stored = idempotency_repository.get_by_key(session, merchant_id, key)
    if stored.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused("send a new key for a different request")
    return Reply(stored.status_code, stored.body, is_replay=True)
