"""Several processes (``loyalpass serve --workers N``, and workers on the same host) write their
counters to the shared PROMETHEUS_MULTIPROC_DIR; a scrape of any one adds them all up.

Each process here is a fresh interpreter, as uvicorn's workers are: prometheus-client reads
the variable when the first metric is made."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

COUNT = """
from api.metrics import instruments
instruments.PURCHASES.inc({n})
instruments.REQUESTS.labels("GET", "/healthz", "2xx").inc({n})
"""
SCRAPE = """
import sys
from api.metrics.exposition import render
sys.stdout.write(render([]).decode())
"""


def run(code: str, shared: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_scrape_adds_up_every_process(tmp_path: Path) -> None:
    shared = tmp_path / "metrics"  # not made yet: the first process makes it
    run(COUNT.format(n=2), shared)
    run(COUNT.format(n=3), shared)
    assert len(list(shared.glob("counter_*.db"))) >= 2  # one file per process
    scraped = samples(run(SCRAPE, shared))
    assert scraped[("loyalpass_purchases_total", ())] == 5
    route = (("method", "GET"), ("route", "/healthz"), ("status", "2xx"))
    assert scraped[("loyalpass_http_requests_total", route)] == 5


def test_serve_empties_the_directory_of_an_earlier_run(tmp_path: Path) -> None:
    shared = tmp_path / "metrics"
    run(COUNT.format(n=7), shared)
    code = "from api.metrics.exposition import share_between_processes\nshare_between_processes()"
    run(code, shared)
    assert samples(run(SCRAPE, shared)).get(("loyalpass_purchases_total", ()), 0) == 0
