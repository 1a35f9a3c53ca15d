"""The database rate limiter (both databases): windows, reset, forgive, clean-up, and the
exact bound under concurrent hits from many connections (PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.ratelimits import service as ratelimits
from api.ratelimits.models import RateLimit

pytestmark = pytest.mark.db
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)


def hit(engine: Engine, key: str = "10.0.0.1", *, at: datetime = T0, limit: int = 3) -> bool:
    with Session(engine) as session, session.begin():
        verdict = ratelimits.hit(session, "test", key, limit=limit, window=WINDOW, now=at)
    return verdict.allowed


class TestWindows:
    def test_limit_hits_are_allowed_then_refused_with_retry_after(self, engine: Engine) -> None:
        assert [hit(engine, at=T0 + timedelta(seconds=i)) for i in range(4)] == [
            True, True, True, False,
        ]  # fmt: skip
        with Session(engine) as session, session.begin():
            verdict = ratelimits.hit(session, "test", "10.0.0.1", limit=3, window=WINDOW,
                                     now=T0 + timedelta(seconds=30))  # fmt: skip
        assert verdict == ratelimits.Verdict(False, 0, 570)

    def test_retry_after_never_exceeds_the_window(self, engine: Engine) -> None:
        """A caller whose clock read came just before another's first hit of the window."""
        for _ in range(3):
            hit(engine, at=T0 + timedelta(seconds=2))
        with Session(engine) as session, session.begin():
            verdict = ratelimits.hit(session, "test", "10.0.0.1", limit=3, window=WINDOW,
                                     now=T0)  # fmt: skip
        assert verdict == ratelimits.Verdict(False, 0, 600)

    def test_a_new_window_starts_after_the_last_one_ended(self, engine: Engine) -> None:
        for _ in range(5):
            hit(engine)
        assert not hit(engine, at=T0 + WINDOW - timedelta(seconds=1))
        assert hit(engine, at=T0 + WINDOW)

    def test_keys_and_scopes_are_counted_apart(self, engine: Engine) -> None:
        for _ in range(3):
            hit(engine)
        assert not hit(engine)
        assert hit(engine, "10.0.0.2")
        with Session(engine) as session, session.begin():
            assert ratelimits.hit(session, "other", "10.0.0.1", limit=3, window=WINDOW,
                                  now=T0).allowed  # fmt: skip

    def test_keys_are_stored_hashed(self, engine: Engine) -> None:
        hit(engine, "+79161234567")
        with Session(engine) as session:
            row = session.exec(select(RateLimit)).one()
        assert "7916" not in row.key_hash
        assert len(row.key_hash) == 64


class TestResetAndForgive:
    def test_reset_forgets_the_key(self, engine: Engine) -> None:
        for _ in range(4):
            hit(engine)
        with Session(engine) as session, session.begin():
            ratelimits.reset(session, "test", "10.0.0.1")
        assert hit(engine)

    def test_forgive_takes_one_hit_back(self, engine: Engine) -> None:
        for _ in range(3):
            hit(engine)
        with Session(engine) as session, session.begin():
            ratelimits.forgive(session, "test", "10.0.0.1", now=T0)
        assert hit(engine)
        assert not hit(engine)


class TestPurge:
    def test_ended_windows_are_deleted(self, engine: Engine) -> None:
        hit(engine, "old")
        hit(engine, "new", at=T0 + WINDOW)
        with Session(engine) as session, session.begin():
            assert ratelimits.purge(session, now=T0 + WINDOW + timedelta(seconds=1)) == 1
        with Session(engine) as session:
            assert session.exec(select(RateLimit.expires_at)).all() == [T0 + 2 * WINDOW]


class TestConcurrency:
    def test_concurrent_hits_allow_exactly_the_limit(self, engine: Engine) -> None:
        """60 connections hit one key at once; each transaction lingers after its hit, so
        the hits overlap. Exactly ``limit`` are allowed."""
        if engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
        limit, callers = 7, 60
        barrier = threading.Barrier(callers)
        now = datetime.now(UTC)

        def one(_: int) -> bool:
            barrier.wait()
            with Session(engine) as session, session.begin():
                verdict = ratelimits.hit(session, "race", "shared", limit=limit,
                                         window=WINDOW, now=now)  # fmt: skip
                threading.Event().wait(0.01)
            return verdict.allowed

        with ThreadPoolExecutor(callers) as pool:
            allowed = list(pool.map(one, range(callers)))
        assert sum(allowed) == limit
        with Session(engine) as session:
            assert session.exec(select(RateLimit.hits)).one() == callers
