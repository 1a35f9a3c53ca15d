"""The process's own metrics: requests, purchases, enrolments, wallet answers, jobs, the pool.

Prometheus counters are process-wide by nature, so these are module objects on the default
registry (the one exception to "no import-time state"). Under ``loyalpass serve --workers N``
every process writes them to ``PROMETHEUS_MULTIPROC_DIR`` (set by ``serve``) and a scrape of
any process adds them up (``exposition.py``). Labels never carry a card token, a serial, a
member or a raw path: routes are templates, statuses are numbers.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

REQUESTS = Counter(
    "loyalpass_http_requests", "HTTP requests answered, by route template and status class.",
    ["method", "route", "status"],
)  # fmt: skip
REQUEST_SECONDS = Histogram(
    "loyalpass_http_request_duration_seconds", "Time to answer an HTTP request, by route.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)  # fmt: skip
PURCHASES = Counter("loyalpass_purchases", "Purchases recorded (committed).")
ENROLMENTS = Counter("loyalpass_enrolments", "Members enrolled (committed).")
PUSH_ANSWERS = Counter(
    "loyalpass_push_answers",
    "Answers of APNs, the Android wallet apps and Web Push services, per device "
    "(status 0: no answer).",
    ["channel", "status"],
)
GOOGLE_ANSWERS = Counter(
    "loyalpass_google_answers", "Google Wallet card syncs by Google's answer (200: synced).",
    ["status"],
)  # fmt: skip
GOOGLE_NOTIFICATIONS = Counter(
    "loyalpass_google_notifications", "Notifications asked of Google (3 per card per 24 h).",
    ["kind"],
)  # fmt: skip
JOB_SECONDS = Histogram(
    "loyalpass_job_duration_seconds", "Time a scheduled job took.", ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)  # fmt: skip
JOB_FAILURES = Counter("loyalpass_job_failures", "Scheduled job runs that failed.", ["job"])
JOB_LAST_SUCCESS = Gauge(
    "loyalpass_job_last_success_timestamp_seconds", "When a job last ran without error.",
    ["job"], multiprocess_mode="max",
)  # fmt: skip
DB_CONNECTIONS_IN_USE = Gauge(
    "loyalpass_db_connections_in_use", "Database connections checked out of the pools.",
    multiprocess_mode="livesum",
)  # fmt: skip
DB_POOL_SIZE = Gauge(
    "loyalpass_db_pool_size", "Connections the pools keep (without overflow).",
    multiprocess_mode="livesum",
)  # fmt: skip


_ON_COMMIT = "loyalpass_count_on_commit"


def count_on_commit(session: Session, counter: Counter) -> None:
    """Count one when ``session``'s transaction commits (a rolled-back purchase is none)."""
    session.info.setdefault(_ON_COMMIT, []).append(counter)


# Two listeners on the Session class, once (a listener per session costs more than the count).
@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    for counter in session.info.pop(_ON_COMMIT, ()):
        counter.inc()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_ON_COMMIT, None)


def push_answers(channel: str, statuses: list[int]) -> None:
    """Count one wallet answer per device (``channel``: apple, walletpasses, webpush, ...)."""
    for status in statuses:
        PUSH_ANSWERS.labels(channel, str(status)).inc()


def job_ran(job: str, started: float, *, ok: bool) -> None:
    """Record a job's run; ``started`` is its ``time.perf_counter()`` at the start."""
    JOB_SECONDS.labels(job).observe(time.perf_counter() - started)
    if ok:
        JOB_LAST_SUCCESS.labels(job).set(time.time())
    else:
        JOB_FAILURES.labels(job).inc()


def watch_pool(engine: Engine) -> None:
    """Keep the connection gauges up to date for ``engine``'s pool."""
    size = getattr(engine.pool, "size", None)
    if callable(size):
        DB_POOL_SIZE.inc(size())

    def checked_out(*_args: Any) -> None:
        DB_CONNECTIONS_IN_USE.inc()

    def checked_in(*_args: Any) -> None:
        DB_CONNECTIONS_IN_USE.dec()

    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "checkin", checked_in)
