"""The Apple web service under load on PostgreSQL: 50 concurrent clients (wrk) asking for
passes (fresh, and with If-Modified-Since: 304) and for the list of updated passes of a device
registered for 1,000 passes. Baseline in the same run: GET /healthz (HTTP + one query).

Run: .venv/bin/python bench/webservice.py [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.apple_webservice.models import AppleDevice, AppleRegistration  # noqa: E402
from api.db import make_engine  # noqa: E402
from api.devcerts import write_dev_certs  # noqa: E402
from api.members.models import Card  # noqa: E402
from api.settings import DEV_PASS_TYPE_ID  # noqa: E402
from bench.ledger import seed, start_server, wrk  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402
from tests.support.server import free_port  # noqa: E402

PASS_LUA = """
local cards = {}
for entry in string.gmatch(os.getenv("LP_CARDS"), "[^,]+") do
  local serial, token = string.match(entry, "([^:]+):([^:]+)")
  table.insert(cards, {serial, token})
end
local since = os.getenv("LP_SINCE")
local n = 0
request = function()
  n = n + 1
  local card = cards[(n % #cards) + 1]
  local headers = {["Authorization"] = "ApplePass " .. card[2]}
  if since ~= "" then headers["If-Modified-Since"] = since end
  return wrk.format("GET", "/apple/v1/passes/" .. os.getenv("LP_TYPE") .. "/" .. card[1], headers)
end
"""


def register_device(url: str) -> list[tuple[str, str]]:
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        cards = session.exec(select(Card)).all()
        device = uuid.uuid4()
        session.execute(
            insert(AppleDevice),
            [{"id": device, "device_library_identifier": "benchdevice", "push_token": "ab" * 32}],
        )
        session.execute(
            insert(AppleRegistration),
            [{"id": uuid.uuid4(), "merchant_id": c.merchant_id, "device_id": device,
              "card_id": c.id} for c in cards],
        )  # fmt: skip
        found = [(c.serial_number, c.authentication_token) for c in cards]
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description="Apple web service under load")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    postgres = start_postgres()
    server = None
    try:
        url = postgres.create_database("bench_ws")
        seed(url, 1000)
        cards = register_device(url)
        pki = Path(tempfile.mkdtemp())
        write_dev_certs(pki)
        port = free_port()
        env = {**os.environ, "LOYALPASS_DATABASE_URL": url, "LOYALPASS_DEV_CERTS_DIR": str(pki),
               "LOYALPASS_JOBS_IN_PROCESS": "false", "LOYALPASS_LOG_LEVEL": "WARNING",
               "LOYALPASS_PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
        server = start_server(env, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        script = Path(tempfile.mkstemp(suffix=".lua")[1])
        script.write_text(PASS_LUA)
        wrk_env = {**env, "LP_CARDS": ",".join(f"{s}:{t}" for s, t in cards),
                   "LP_TYPE": DEV_PASS_TYPE_ID}  # fmt: skip
        c, s = args.connections, args.seconds
        rows = [
            ("GET /healthz (baseline)", wrk(base, c, s, None, wrk_env, "/healthz")),
            ("GET pass, 1,000 cards (signed once, then cached)",
             wrk(base, c, s, script, {**wrk_env, "LP_SINCE": ""})),
            ("GET pass with If-Modified-Since (304)",
             wrk(base, c, s, script, {**wrk_env, "LP_SINCE": "Fri, 01 Jan 2100 00:00:00 GMT"})),
            ("GET updated serials, 1,000 registrations",
             wrk(base, c, s, None, wrk_env,
                 f"/apple/v1/devices/benchdevice/registrations/{DEV_PASS_TYPE_ID}")),
        ]  # fmt: skip
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        postgres.stop()
    floor = rows[0][1]["rate"]
    print(f"Apple web service, PostgreSQL, {args.workers} worker(s), {args.connections} clients, "
          f"{args.seconds}s each")  # fmt: skip
    print(f"{'':<50} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs healthz':>10}")
    for name, result in rows:
        print(f"{name:<50} {result['rate']:>9.1f} {result['p50']:>8.2f} {result['p99']:>8.2f}"
              f" {int(result['errors']):>7} {result['rate'] / floor:>10.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
