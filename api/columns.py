"""Column helpers shared by every table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field

from api.clock import as_utc, utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware UTC (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def timestamp(**kwargs: Any) -> Any:
    """A timezone-aware timestamp column defaulting to now."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kwargs)


def merchant_fk() -> Any:
    """Every merchant-owned row carries ``merchant_id``; every query filters on it."""
    return Field(foreign_key="merchant.id", index=True, ondelete="CASCADE")


def optional_timestamp() -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def merchant_scope() -> Any:
    """``merchant_id`` without a foreign key, for the hot ledger tables.

    Every row there also references its member, whose merchant is fixed. A foreign key to the
    merchant would make each insert take a KEY SHARE lock on the one merchant row, and on
    PostgreSQL many concurrent share-lockers of one row serialise on its multixact: at a
    few hundred purchases a second that single row becomes the bottleneck.
    """
    return Field(index=True)
