"""PLACEHOLDER until the shared limiter lands (replaced at merge)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int


_COUNTS: dict[tuple[str, str], int] = {}


def hit(
    session: Session, scope: str, key: str, *, limit: int, window: timedelta, now: datetime
) -> Verdict:
    count = _COUNTS.get((scope, key), 0) + 1
    _COUNTS[(scope, key)] = count
    return Verdict(count <= limit, int(window.total_seconds()))
