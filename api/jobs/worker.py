"""Running the scheduled jobs periodically: in its own process (``loyalpass worker``) or in
a background thread of the service (the default in development and in the demo)."""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict

from sqlalchemy.engine import Engine

from api.clock import utcnow
from api.jobs.service import run_all

logger = logging.getLogger(__name__)


def run_once(engine: Engine) -> None:
    report = run_all(engine, now=utcnow())
    level = logging.WARNING if report.errors else logging.INFO
    logger.log(level, "scheduled jobs ran", extra=asdict(report))


class JobThread(threading.Thread):
    """Runs the jobs every ``interval`` seconds until stopped."""

    def __init__(self, engine: Engine, *, interval: float) -> None:
        super().__init__(name="loyalpass-jobs", daemon=True)
        self.engine = engine
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                run_once(self.engine)
            except Exception:  # keep the service's worker alive; the error is logged
                logger.exception("scheduled jobs crashed")
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=30)
