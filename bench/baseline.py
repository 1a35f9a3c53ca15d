"""The bare stack, the baseline of the HTTP benchmarks: FastAPI under uvicorn with the same
number of worker processes, answering ``GET /`` with one query on a pooled connection of the
same engine (``api.db.make_engine``), on a worker thread like a sync route. No middleware, no
authentication, no loyalty logic: what any service on this stack spends at least.

``GET /healthz`` used to be this (HTTP plus one query); it is a liveness check now that
touches no database, so the benchmarks report against both.

    start_baseline(env, port, workers)  # env carries LOYALPASS_DATABASE_URL
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from fastapi import FastAPI
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import make_engine  # noqa: E402

app = FastAPI()
_engine = None


@app.get("/")
def one_query() -> dict[str, int]:
    global _engine
    if _engine is None:  # in the worker process, from the environment
        _engine = make_engine(os.environ["LOYALPASS_DATABASE_URL"])
    with _engine.connect() as connection:
        return {"one": connection.execute(text("SELECT 1")).scalar_one()}


def start_baseline(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """This app in ``workers`` uvicorn processes; returns once it answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.baseline:app", "--port", str(port),
         "--workers", str(workers), "--timeout-worker-healthcheck", "60",
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    return answering(server, f"http://127.0.0.1:{port}/")


def answering(
    server: subprocess.Popen[bytes], url: str, seconds: float = 180
) -> subprocess.Popen[bytes]:
    """``server`` once ``url`` answers 200; terminated and an error after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx2.get(url).status_code == 200:
                return server
        except httpx2.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"{url} did not answer")
