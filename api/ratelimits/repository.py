"""The rate limiter's statements: one atomic upsert per hit, and the clean-up."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from api.ratelimits.models import RateLimit

_TABLE = RateLimit.__table__  # type: ignore[attr-defined]


def count_hit(
    session: Session, scope: str, key_hash: str, *, now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """Count one hit in one statement; returns (hits in the window, when it ends).

    ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``: the first hit creates the row, later
    ones add one, and a hit after the window ended starts a new one at 1. On PostgreSQL the
    statement locks the row until the caller's transaction ends, so concurrent hits on one key
    are counted one after the other and none is lost; SQLite serialises writers anyway.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(_TABLE).values(
        scope=scope, key_hash=key_hash, window_start=now, expires_at=now + window, hits=1
    )
    ended = _TABLE.c.expires_at <= now
    statement = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.scope, _TABLE.c.key_hash],
        set_={
            "hits": case((ended, 1), else_=_TABLE.c.hits + 1),
            "window_start": case((ended, statement.excluded.window_start),
                                 else_=_TABLE.c.window_start),
            "expires_at": case((ended, statement.excluded.expires_at),
                               else_=_TABLE.c.expires_at),
        },
    )  # fmt: skip
    row = session.execute(statement.returning(_TABLE.c.hits, _TABLE.c.expires_at)).one()
    hits: int = row[0]
    expires_at: datetime = row[1]
    return hits, expires_at


def delete_key(session: Session, scope: str, key_hash: str) -> None:
    session.execute(
        delete(RateLimit).where(col(RateLimit.scope) == scope, col(RateLimit.key_hash) == key_hash)
    )


def take_back_hit(session: Session, scope: str, key_hash: str, *, now: datetime) -> None:
    """One hit fewer in the key's current window (nothing when it has none)."""
    session.execute(
        update(RateLimit)
        .where(
            col(RateLimit.scope) == scope,
            col(RateLimit.key_hash) == key_hash,
            col(RateLimit.hits) > 0,
            col(RateLimit.expires_at) > now,
        )
        .values(hits=col(RateLimit.hits) - 1)
    )


def delete_ended(session: Session, *, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` rows whose window ended before ``before``. Rows another
    transaction holds are skipped (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so the clean-up
    never waits for a hit nor deadlocks with one."""
    ended = (
        select(_TABLE.c.scope, _TABLE.c.key_hash)
        .where(_TABLE.c.expires_at < before)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = delete(_TABLE).where(tuple_(_TABLE.c.scope, _TABLE.c.key_hash).in_(ended))
    deleted: int = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return deleted
