"""A background loop that polls the database for work a few times a second: the Apple pusher
and the Google Wallet sync run in one each, in the service or in `loyalpass worker`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any

logger = logging.getLogger(__name__)


class PollingThread(threading.Thread):
    def __init__(
        self,
        name: str,
        *,
        has_work: Callable[[], bool],
        run_once: Callable[[], Any],
        interval: float = 0.25,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(name=f"loyalpass-{name}", daemon=True)
        self.has_work = has_work
        self.run_once = run_once
        self.interval = interval
        self.on_stop = on_stop
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                if self.has_work():
                    report = self.run_once()
                    extra = asdict(report) if is_dataclass(report) else {}  # type: ignore[arg-type]
                    logger.info(f"{self.name} round done", extra=extra)
            except Exception:  # keep going after a database or network hiccup
                logger.exception(f"{self.name} round failed")
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)
        if self.on_stop is not None:
            self.on_stop()
