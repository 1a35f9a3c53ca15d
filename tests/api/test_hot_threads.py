"""The hot paths' threads (``api.deps.on_hot_thread``): at most ``HOT_THREADS`` pieces of work
at once per event loop, the rest wait their turn without a thread; a second event loop (another
test client, another server) has its own limit."""

from __future__ import annotations

import threading
import time

import anyio

from api.deps import HOT_THREADS, on_hot_thread


class Gauge:
    """Counts the pieces of work inside at once. Each waits (up to 5 s) until ``HOT_THREADS``
    are inside, so a loaded machine starting threads late cannot make the count look low."""

    def __init__(self) -> None:
        self.inside = threading.Condition()
        self.now = self.most = self.done = 0

    def work(self) -> int:
        with self.inside:
            self.now += 1
            self.most = max(self.most, self.now)
            self.inside.notify_all()
            self.inside.wait_for(lambda: self.now >= HOT_THREADS, timeout=5)
        time.sleep(0.01)
        with self.inside:
            self.now -= 1
            self.done += 1
            return self.done


def test_at_most_hot_threads_at_once() -> None:
    gauge = Gauge()

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            for _ in range(HOT_THREADS * 3):
                tasks.start_soon(on_hot_thread, gauge.work)

    anyio.run(main)
    assert gauge.done == HOT_THREADS * 3
    assert gauge.most == HOT_THREADS


def test_each_event_loop_has_its_own_limit() -> None:
    for _ in range(2):  # a limiter bound to a finished loop would fail here
        assert anyio.run(on_hot_thread, lambda: 7) == 7
