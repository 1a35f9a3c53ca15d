"""The fetch storm after a campaign, on PostgreSQL: N cards with one registered device each,
all changed by one campaign, the changed passes pre-rendered by the worker's job, then every
device downloading its pass from the app of `loyalpass serve --workers 2` (wrk on the same
machine; each request is another card, with the `If-Modified-Since` of the version the device
had, so each is a 200 with the new pass and a first download that notes the device's
version). Baseline in the same run: GET /healthz (HTTP + one query). A sample of the answers
is verified: the signature (openssl, against the development root), the serial, the
campaign's message, and the device's version noted in the database.

Run: .venv/bin/python bench/fetch_storm.py [--cards 100000] [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from io import BytesIO
from pathlib import Path

import httpx2
from sqlalchemy import func, select
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.apple_webservice.passfiles import StoredPass  # noqa: E402
from api.apple_webservice.prerender import Prerenderer  # noqa: E402
from api.audit.service import OperatorActor  # noqa: E402
from api.campaigns import service as campaign_service  # noqa: E402
from api.campaigns import tasks as campaign_tasks  # noqa: E402
from api.cards.apple import AppleWallet  # noqa: E402
from api.devcerts import write_dev_certs  # noqa: E402
from api.main import build_signer  # noqa: E402
from api.members.models import Card  # noqa: E402
from api.settings import DEV_PASS_TYPE_ID, Settings  # noqa: E402
from bench.baseline import answering, start_baseline  # noqa: E402
from bench.campaign import card_token, seed  # noqa: E402
from bench.ledger import wrk  # noqa: E402
from passes import load_designs  # noqa: E402
from tests.support.pkpass import verify_pkpass  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402
from tests.support.server import free_port  # noqa: E402

MESSAGE = "New autumn menu!"
# Each wrk thread walks its own slice of the cards: every request is another card's first
# download of the new version (the device sends the date of the version it had).
STORM_LUA = """
local cards = tonumber(os.getenv("LP_CARDS"))
local threads = tonumber(os.getenv("LP_THREADS"))
local since = os.getenv("LP_SINCE")
local pass_type = os.getenv("LP_TYPE")
local counter = 0
function setup(thread)
  thread:set("slice", counter)
  counter = counter + 1
end
function init(args)
  n = math.floor(slice * cards / threads)
  last = math.floor((slice + 1) * cards / threads)
end
request = function()
  local i = n
  n = n + 1
  if n >= last then n = math.floor(slice * cards / threads) end
  local headers = {["Authorization"] = "ApplePass " .. string.format("t%031d", i),
                   ["If-Modified-Since"] = since}
  return wrk.format("GET", "/apple/v1/passes/" .. pass_type .. "/" .. string.format("%012d", i),
                    headers)
end
"""


# Every device once: each wrk thread downloads its slice of the cards, then stops.
EVERY_DEVICE_LUA = (
    STORM_LUA
    + """
local answered = 0
response = function(status, headers, body)
  answered = answered + 1
  if answered >= last - math.floor(slice * cards / threads) then wrk.thread:stop() end
end
"""
)


def download_all(
    base: str, cards: int, env: dict[str, str], engine: object, *, connections: int = 64
) -> float:
    """Every device downloads its pass once (wrk, two threads, each stopping after its
    slice); returns the seconds until the database notes the last device's download of the
    current version (wrk itself waits out its -d, so it is stopped then)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(EVERY_DEVICE_LUA)
    since = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    wrk_env = {**env, "LP_CARDS": str(cards), "LP_THREADS": "2", "LP_SINCE": since,
               "LP_TYPE": DEV_PASS_TYPE_ID}  # fmt: skip
    started = time.perf_counter()
    load = subprocess.Popen(
        ["wrk", "-t2", f"-c{connections}", "-d900s", "-s", str(script), base],
        stdout=subprocess.DEVNULL, env=wrk_env,
    )  # fmt: skip
    fetched = select(func.count()).where(Card.last_fetched_version == Card.version)
    try:
        while True:
            with Session(engine) as session:  # type: ignore[call-overload]
                if session.execute(fetched).scalar() >= cards:
                    return time.perf_counter() - started
            if load.poll() is not None:
                raise RuntimeError("wrk ended before every device had its pass")
            time.sleep(0.5)
    finally:
        load.terminate()
        load.wait(timeout=30)


def start_server(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """The app of `loyalpass serve --workers N` (its ``server_process_app`` in N uvicorn
    worker processes; the seed migrated the database), with uvicorn's worker health check
    allowed 60 s instead of 5: on a machine loaded by other work a worker that answers its
    supervisor's ping late is killed and restarted, again and again. Returns once /healthz
    answers."""
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.cli:server_process_app", "--factory",
         "--port", str(port), "--workers", str(workers), "--timeout-worker-healthcheck", "60",
         "--timeout-graceful-shutdown", "5", "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    return answering(server, f"http://127.0.0.1:{port}/healthz")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a loaded machine: do not lose the results over it
        server.kill()
        server.wait(timeout=30)


def bare_stack(env: dict[str, str], workers: int, connections: int, seconds: int,
               wrk_env: dict[str, str]) -> dict[str, float]:  # fmt: skip
    """wrk against the bare stack (``bench/baseline.py``) on the same database."""
    port = free_port()
    baseline = start_baseline(env, port, workers)
    try:
        return wrk(f"http://127.0.0.1:{port}", connections, seconds, None, wrk_env, "/")
    finally:
        stop(baseline)


def send_campaign(engine: object, merchant_id: object, program_id: object) -> int:
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():  # type: ignore[call-overload]
        campaign = campaign_service.create(
            session, OperatorActor(merchant_id), program_id, name="Autumn", message=MESSAGE,
            segment_id=None, segment=None, send_at=None, now=now,
        )  # fmt: skip
        campaign_id = campaign.id
    return campaign_tasks.send(engine, campaign_id, now=now)  # type: ignore[arg-type]


def verify_sample(base: str, engine: object, cards: int, root_ca: Path, size: int = 20) -> int:
    """Fetch ``size`` random cards again and check each answer; returns the bytes of one."""
    since = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    length = 0
    for i in random.sample(range(cards), size):
        serial = f"{i:012d}"
        answer = httpx2.get(
            f"{base}/apple/v1/passes/{DEV_PASS_TYPE_ID}/{serial}",
            headers={"Authorization": f"ApplePass {card_token(i)}", "If-Modified-Since": since},
        )
        assert answer.status_code == 200, answer.status_code
        verify_pkpass(answer.content, root_ca)
        body = json.loads(zipfile.ZipFile(BytesIO(answer.content)).read("pass.json"))
        assert body["serialNumber"] == serial
        assert MESSAGE in json.dumps(body, ensure_ascii=False), "not the campaign's version"
        with Session(engine) as session:  # type: ignore[call-overload]
            version, fetched = session.execute(
                select(Card.version, Card.last_fetched_version).where(Card.serial_number == serial)
            ).one()
        assert version == 2, version
        assert fetched == 2, fetched
        length = len(answer.content)
    return length


def main() -> None:
    parser = argparse.ArgumentParser(description="the fetch storm after a campaign")
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--shared-buffers", default="4GB",
        help="PostgreSQL's shared_buffers: its default (128MB) is a toy's; a 24 GiB machine "
        "serving 100,000 cards gives it a quarter of its memory (the pass store is 5.4 GB)",
    )  # fmt: skip
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    pki = Path(tempfile.mkdtemp())
    write_dev_certs(pki)
    postgres = start_postgres((f"shared_buffers={args.shared_buffers}",))
    server = None
    try:
        url = postgres.create_database("bench_fetch_storm")
        started = time.perf_counter()
        engine, merchant_id, program_id, _ = seed(url, args.cards)
        print(f"seeded {args.cards:,} cards with a device each in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        started = time.perf_counter()
        changed = send_campaign(engine, merchant_id, program_id)
        assert changed == args.cards, changed
        print(f"campaign changed {changed:,} cards in {time.perf_counter() - started:.0f} s")
        port = free_port()
        env = {**os.environ, "LOYALPASS_DATABASE_URL": url, "LOYALPASS_DEV_CERTS_DIR": str(pki),
               "LOYALPASS_JOBS_IN_PROCESS": "false", "LOYALPASS_LOG_LEVEL": "WARNING",
               "LOYALPASS_PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
        settings = Settings(_env_file=None, database_url=url, dev_certs_dir=pki,  # type: ignore[call-arg]
                            public_url=f"http://127.0.0.1:{port}")  # fmt: skip
        wallet = AppleWallet(
            build_signer(settings), load_designs(settings.templates_dir / "cards"),
            web_service_url=settings.apple_web_service_url, allow_http=True, cache_size=1,
        )  # fmt: skip
        started = time.perf_counter()
        rendered = Prerenderer(engine, wallet).run_once().rendered  # type: ignore[arg-type]
        prerender = time.perf_counter() - started
        assert rendered == args.cards, rendered
        print(f"pre-rendered {rendered:,} passes in {prerender:.1f} s")
        with Session(engine) as session:  # type: ignore[call-overload]
            stored_bytes = session.execute(select(func.sum(func.length(StoredPass.data)))).scalar()
        server = start_server(env, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(STORM_LUA)
        since = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
        wrk_env = {**env, "LP_CARDS": str(args.cards), "LP_THREADS": "2", "LP_SINCE": since,
                   "LP_TYPE": DEV_PASS_TYPE_ID}  # fmt: skip
        c, s = args.connections, args.seconds
        load = os.getloadavg()
        healthz = wrk(base, c, s, None, wrk_env, "/healthz")
        storm = wrk(base, c, s, script, wrk_env)
        bare = bare_stack(env, args.workers, c, s, wrk_env)
        length = verify_sample(base, engine, min(args.cards, int(storm["rate"] * s)),
                               pki / "apple" / "root-ca.pem")  # fmt: skip
        engine.dispose()  # type: ignore[attr-defined]
    finally:
        if server is not None:
            stop(server)
        postgres.stop()
    print(f"fetch storm: PostgreSQL, serve --workers {args.workers}, wrk {c} connections, "
          f"{s} s each, {args.cards:,} cards changed by one campaign, shared_buffers "
          f"{args.shared_buffers}; load before: "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    print(f"  pre-rendered {rendered:,} passes in {prerender:.1f} s "
          f"({rendered / prerender:,.0f}/s, one process); pass {length / 1024:.1f} KB, "
          f"store {stored_bytes / 2**20:,.0f} MB")  # fmt: skip
    print(f"{'':<44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs healthz':>10}"
          f" {'vs bare':>8}")  # fmt: skip
    for name, result in (("GET /healthz (liveness, no database)", healthz),
                         ("bare stack: HTTP + one query (baseline.py)", bare),
                         ("GET changed pass (200, first download)", storm)):  # fmt: skip
        print(
            f"{name:<44} {result['rate']:>9.1f} {result['p50']:>8.2f} {result['p99']:>8.2f}"
            f" {int(result['errors']):>7} {result['rate'] / healthz['rate']:>10.2f}"
            f" {result['rate'] / bare['rate']:>8.2f}"
        )
    print("  sample of 20 answers verified: signature, serial, campaign message, version noted")


if __name__ == "__main__":
    main()
