"""A per-client rate limit for the public join form, kept in the process's memory.

Each worker process counts on its own, so N workers allow up to N times the limit: enough to
stop a script hammering one form, which is what it is for.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class Throttle:
    """At most ``limit`` events per ``window`` seconds for each key."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Count one event for ``key``; False when the key is over its limit."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            if len(self._events) > 10_000:  # forget idle clients, bounded memory
                self._events = {
                    k: v for k, v in self._events.items() if v[-1] > moment - self.window
                }
            events = self._events.setdefault(key, deque())
            while events and events[0] <= moment - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(moment)
            return True

    def clear(self) -> None:
        with self._lock:
            self._events.clear()
