"""Enrolment and the first download, end to end over HTTP, against stock py-pkpass.

One client, one request after another, as a customer meets it: `POST .../members` (the join,
with a new phone each time) and then `GET` of the card's `.pkpass` from the URL the join
answered, every pass opened and its signature checked afterwards. The baseline measured in the
same run is stock py-pkpass building the same kind of pass from files (`bench/pkpass.py`'s
(b)): what a py-pkpass user spends on the pass alone, before any HTTP or database.

Run: .venv/bin/python bench/enrolment.py [--joins 300] [--postgres] [--workers 1]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.devcerts import write_dev_certs  # noqa: E402
from bench.ledger import seed, start_server  # noqa: E402
from bench.pkpass import stock_pypkpass  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402
from tests.support.server import free_port  # noqa: E402


def joins(base: str, key: str, program: str, count: int, run: str) -> tuple[float, list[float],
                                                                          list[bytes]]:  # fmt: skip
    """(pairs per second, per-pair latencies in ms, the passes) of ``count`` join + download."""
    headers = {"Authorization": f"Bearer {key}"}
    latencies, passes = [], []
    with httpx2.Client(base_url=base, timeout=30) as client:
        started = time.perf_counter()
        for i in range(count):
            t0 = time.perf_counter()
            body = {"name": f"Guest {i}", "phone": f"+7901{run}{i:06d}"}
            answer = client.post(f"/api/v1/programs/{program}/members", json=body, headers=headers)
            answer.raise_for_status()
            download = client.get(answer.json()["apple_pass_url"].removeprefix(base))
            download.raise_for_status()
            latencies.append((time.perf_counter() - t0) * 1000)
            passes.append(download.content)
        elapsed = time.perf_counter() - started
    return count / elapsed, latencies, passes


def check(passes: list[bytes]) -> None:
    """Every download is a pass archive with a manifest and a signature."""
    for data in passes:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
        assert {"pass.json", "manifest.json", "signature"} <= names, names


def main() -> None:
    parser = argparse.ArgumentParser(description="join + first download against py-pkpass")
    parser.add_argument("--joins", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    postgres = start_postgres() if args.postgres else None
    server = None
    work = Path(tempfile.mkdtemp())
    try:
        url = postgres.create_database("bench") if postgres else f"sqlite:///{work / 'bench.db'}"
        key, _ = seed(url, 0)
        pki = work / "pki"
        write_dev_certs(pki)
        port = free_port()
        env = {
            **os.environ,
            "LOYALPASS_DATABASE_URL": url,
            "LOYALPASS_DEV_CERTS_DIR": str(pki),
            "LOYALPASS_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LOYALPASS_LOG_LEVEL": "WARNING",
        }
        server = start_server(env, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        with httpx2.Client(base_url=base) as client:
            program = client.get(
                "/api/v1/programs", headers={"Authorization": f"Bearer {key}"}
            ).json()["items"][0]["id"]
        joins(base, key, program, 30, "9")  # warm-up: imports, caches, connections
        ours, baseline, every = [], [], []
        for round_ in range(args.rounds):
            rate, latencies, passes = joins(base, key, program, args.joins, str(round_))
            check(passes)
            ours.append(rate)
            every += latencies
            baseline.append(stock_pypkpass(pki, args.joins))
        every.sort()
        database = "PostgreSQL" if postgres else "SQLite"
        print(f"join + first download, one client, {database}, {args.workers} worker(s), "
              f"{args.joins} per round, {args.rounds} rounds")  # fmt: skip
        print(
            f"  ours:       {statistics.median(ours):8.1f} pairs/s  runs "
            + ", ".join(f"{r:.1f}" for r in ours)
        )
        print(
            f"              p50 {every[len(every) // 2]:.2f} ms, "
            f"p99 {every[int(len(every) * 0.99)]:.2f} ms per pair"
        )
        print(
            f"  py-pkpass:  {statistics.median(baseline):8.1f} passes/s runs "
            + ", ".join(f"{r:.1f}" for r in baseline)
        )
        ratio = statistics.median(ours) / statistics.median(baseline)
        print(f"  ratio (ours / py-pkpass): {ratio:.2f}x")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    main()
