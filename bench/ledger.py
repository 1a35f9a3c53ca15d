"""Purchases per second through the HTTP API on PostgreSQL, at 1, 8 and 32 concurrent clients.

Starts a throwaway PostgreSQL server (as the test suite does), seeds a points program with
1,000 members, runs `loyalpass serve --workers N` and drives it with wrk (Debian's `wrk`,
installed if missing): every request is a purchase with its own receipt id and
Idempotency-Key, members taken round robin. Two baselines are measured in the same run, at
the same concurrency: `GET /healthz` (HTTP only: the liveness check touches no database) and
the bare stack of `bench/baseline.py` (FastAPI and uvicorn answering with one query on a
pooled connection, what `/healthz` was before it became a liveness check): the cost of the
stack before any loyalty logic.

Run: .venv/bin/python bench/ledger.py [--seconds 10] [--workers 2] [--clients 1,8,32]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import make_engine, migrate  # noqa: E402
from api.devcerts import write_dev_certs  # noqa: E402
from api.enrolment import service as enrolment_service  # noqa: E402
from api.members.schemas import MemberCreate  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.programs import service as program_service  # noqa: E402
from api.programs.rules import ProgramRules  # noqa: E402
from api.programs.schemas import ProgramCreate  # noqa: E402
from bench.baseline import answering, start_baseline  # noqa: E402
from passes import load_designs  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402
from tests.support.server import free_port  # noqa: E402

LUA = """
local members = {}
for m in string.gmatch(os.getenv("LP_MEMBERS"), "[^,]+") do table.insert(members, m) end
local key = os.getenv("LP_KEY")
local run = os.getenv("LP_RUN")
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end
local counter = 0
request = function()
  counter = counter + 1
  local member = members[((counter * 7 + tid * 131) % #members) + 1]
  local receipt = string.format("%s-%d-%d", run, tid, counter)
  local body = '{"kind":"purchase","amount":"12.50","currency":"RUB","receipt_id":"'
    .. receipt .. '"}'
  return wrk.format("POST", "/api/v1/members/" .. member .. "/transactions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key,
     ["Idempotency-Key"] = receipt}, body)
end
"""


def seed(url: str, members: int) -> tuple[str, list[str]]:
    engine = make_engine(url)
    migrate(engine, ROOT / "migrations")
    designs = load_designs(ROOT / "templates" / "cards")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant, key = merchant_service.create_merchant(session, name="Bench")
        rules = ProgramRules.model_validate({"earn": {"points": 1, "per_amount": "1"}})
        program = program_service.create_program(
            session, merchant.id, ProgramCreate(name="Bench", rules=rules, design="coffee"),
            designs=designs,
        )  # fmt: skip
        ids = []
        for i in range(members):
            member, _, _ = enrolment_service.enrol(
                session, merchant.id, program.id, MemberCreate(name=f"M{i}", phone=f"+7900{i:07d}")
            )
            ids.append(str(member.id))
    engine.dispose()
    return key, ids


def wrk(base: str, connections: int, seconds: int, script: Path | None, env: dict[str, str],
        path: str = "/") -> dict[str, float]:  # fmt: skip
    threads = min(connections, 2)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(
        [*command, base + path], capture_output=True, text=True, env=env, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rate": rate,
        "p50": percentile("50"),
        "p99": percentile("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """`loyalpass serve` in its own process(es); returns once /healthz answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, env=env,
    )  # fmt: skip
    return answering(server, f"http://127.0.0.1:{port}/healthz", seconds=30)


def main() -> None:
    parser = argparse.ArgumentParser(description="purchases per second through the API")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        install = "apt-get install -y -qq wrk || sudo apt-get install -y -qq wrk"
        subprocess.run(["bash", "-c", install], check=True)
    postgres = start_postgres()
    server = baseline = None
    try:
        url = postgres.create_database("bench")
        key, members = seed(url, args.members)
        pki = Path(tempfile.mkdtemp())
        write_dev_certs(pki)
        port = free_port()
        env = {
            **os.environ,
            "LOYALPASS_DATABASE_URL": url,
            "LOYALPASS_DEV_CERTS_DIR": str(pki),
            "LOYALPASS_JOBS_IN_PROCESS": "false",
            "LOYALPASS_LOG_LEVEL": "WARNING",
        }
        server = start_server(env, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        baseline_port = free_port()
        baseline = start_baseline(env, baseline_port, args.workers)
        bare = f"http://127.0.0.1:{baseline_port}"
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(LUA)
        rows = []
        for connections in (int(c) for c in args.clients.split(",")):
            wrk_env = {**env, "LP_MEMBERS": ",".join(members), "LP_KEY": key,
                       "LP_RUN": f"c{connections}"}  # fmt: skip
            floor = wrk(base, connections, args.seconds, None, wrk_env, "/healthz")
            ready = wrk(bare, connections, args.seconds, None, wrk_env, "/")
            buy = wrk(base, connections, args.seconds, script, wrk_env)
            rows.append((connections, buy, floor, ready))
        print(
            "purchases through POST /api/v1/members/{id}/transactions, PostgreSQL, "
            f"{args.workers} worker(s), {args.seconds}s per point, {args.members} members"
        )
        print(f"{'clients':>7} {'purchases/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
              f" | {'healthz/s':>10} {'bare/s':>9} | {'/healthz':>8} {'/bare':>8}")  # fmt: skip
        for connections, buy, floor, ready in rows:
            print(f"{connections:>7} {buy['rate']:>12.1f} {buy['p50']:>8.2f} {buy['p99']:>8.2f}"
                  f" {int(buy['errors']):>7} | {floor['rate']:>10.1f} {ready['rate']:>9.1f}"
                  f" | {buy['rate'] / floor['rate']:>8.2f}"
                  f" {buy['rate'] / ready['rate']:>8.2f}")  # fmt: skip
    finally:
        for process in (server, baseline):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
        postgres.stop()


if __name__ == "__main__":
    main()
