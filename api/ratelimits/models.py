"""The rate limiter's counters: one row per scope and key, for the current window."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime


class RateLimit(SQLModel, table=True):
    """How many hits ``key`` made in ``scope`` since ``window_start``. The key is stored as
    its SHA-256 (it may be a client address or a phone number); a row whose window ended is
    reset by the next hit, or purged."""

    __tablename__ = "rate_limit"

    scope: str = Field(max_length=40, primary_key=True)
    key_hash: str = Field(max_length=64, primary_key=True)
    window_start: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    hits: int = 0
