"""``Idempotency-Key`` handling for writes.

The key is claimed by inserting its row inside the request's own transaction, so a concurrent
retry waits on the unique index until the first attempt commits (then replays its response) or
rolls back (then runs itself). A failed request stores nothing, so it can be retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from api.db import insert_unless_conflict
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


def fingerprint(method: str, path: str, body: BaseModel | None) -> str:
    payload = body.model_dump(mode="json") if body is not None else None
    canonical = json.dumps([method, path, payload], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def run(
    session: Session,
    merchant_id: UUID,
    key: str | None,
    request_fingerprint: str,
    action: Callable[[], tuple[int, BaseModel]],
) -> Reply:
    """Run ``action`` once per key; a repeat with the same request gets the stored reply.

    Raises:
        InvalidIdempotencyKey: the key is empty, too long or not printable.
        IdempotencyKeyReused: the key was used with a different request.
    """
    if key is None:
        status, body = action()
        return Reply(status, body.model_dump(mode="json"))
    if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidIdempotencyKey(f"use 1 to {MAX_KEY_LENGTH} printable characters")
    record = IdempotencyRecord(merchant_id=merchant_id, key=key, fingerprint=request_fingerprint)
    if not insert_unless_conflict(session, record):
        return _replay(session, merchant_id, key, request_fingerprint)
    status, body = action()
    payload: Any = body.model_dump(mode="json")
    session.execute(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.id) == record.id)
        .values(status_code=status, body=payload)
    )
    return Reply(status, payload)


def _replay(session: Session, merchant_id: UUID, key: str, request_fingerprint: str) -> Reply:
    stored = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.merchant_id == merchant_id, IdempotencyRecord.key == key
        )
    ).one()
    if stored.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused("send a new key for a different request")
    return Reply(stored.status_code, stored.body, is_replay=True)
