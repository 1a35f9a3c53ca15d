"""One scrape: the process's metrics (every process's, in multiprocess mode) plus collectors
computed for this scrape (from the database: the same answer whichever process is asked)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render(scrape_collectors: Iterable[Collector]) -> bytes:
    """The text exposition of this process's (or all processes') metrics and ``collectors``."""
    if os.environ.get(MULTIPROC_ENV):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    scrape = CollectorRegistry(auto_describe=False)
    for collector in scrape_collectors:
        scrape.register(collector)
    return body + generate_latest(scrape)


def share_between_processes() -> Path:
    """Before ``serve`` starts its worker processes: the directory they share their metrics
    through (``PROMETHEUS_MULTIPROC_DIR``, or a new temporary one), emptied of an earlier
    run's files (they would add dead processes' counts). Workers inherit the variable."""
    named = os.environ.get(MULTIPROC_ENV)
    directory = Path(named) if named else Path(tempfile.mkdtemp(prefix="loyalpass-metrics-"))
    os.environ[MULTIPROC_ENV] = str(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    return directory


def process_exited() -> None:
    """Drop this process's live gauges (pool use) from the shared directory."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
