"""Google's 20 requests per second are per project: every process's calls share one pace
through the database (both databases)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import Engine

from api.clock import utcnow
from api.google_wallet.pacing import GOOGLE_PER_SECOND, SharedPacer


class NoLocalPace:
    def wait(self) -> None:
        pass


class FakeTime:
    """One clock for every process of the test: it moves only when someone waits."""

    def __init__(self) -> None:
        self.start = utcnow()
        self.elapsed = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def sleep(self, seconds: float) -> None:
        self.elapsed += seconds


def pacers(engine: Engine, time: FakeTime, count: int, per_second: float) -> list[SharedPacer]:
    issuer = uuid4().hex  # a project of its own: no other test's calls count
    return [
        SharedPacer(
            engine, issuer, NoLocalPace(), per_second=per_second, sleep=time.sleep, clock=time.now
        )  # fmt: skip
        for _ in range(count)
    ]


def test_three_processes_together_stay_under_googles_limit_in_every_second(
    engine: Engine,
) -> None:
    time = FakeTime()
    processes = pacers(engine, time, 3, per_second=15)
    calls: list[float] = []
    for i in range(60):
        processes[i % 3].wait()
        calls.append(time.elapsed)
    busiest = max(sum(1 for t in calls if start <= t < start + 1) for start in calls)
    assert busiest <= GOOGLE_PER_SECOND
    assert calls[-1] >= 60 / 16 - 0.3  # 16 per second at most on average


def test_a_slower_setting_paces_slower(engine: Engine) -> None:
    time = FakeTime()
    (process,) = pacers(engine, time, 1, per_second=2)
    for _ in range(9):
        process.wait()
    assert time.elapsed >= 2.0  # one call a window of 250 ms: at most 4 per second
