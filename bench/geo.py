"""Choosing each card's 10 stores: a chain of 1,000 stores and 100,000 members.

Measured in one run:
  (a) selection   passes.geo: grid index + choose_stores for every member (home point and a
                  few visited stores each), in process, no database
  (b) baseline    the same choice by a full scan: the distance to every store, sorted, for
                  each member (what a platform without a spatial index does); timed on a
                  sample and reported per member, so the ratio is per member
  (c) refresh     api.stores.tasks.refresh_merchant: the worker job that re-chooses and
                  stores every card's set in the database (SQLite; PostgreSQL with --postgres),
                  on --db-members members (all cards change: the first run chooses them)

Run: .venv/bin/python bench/geo.py [--members 100000] [--stores 1000] [--db-members 20000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import make_engine, migrate  # noqa: E402
from api.members.models import Card, Member  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.programs import service as program_service  # noqa: E402
from api.programs.schemas import ProgramCreate  # noqa: E402
from api.stores.models import Store  # noqa: E402
from api.stores.tasks import refresh_merchant  # noqa: E402
from passes import load_designs  # noqa: E402
from passes.geo import Point, StoreIndex, choose_stores, distance_km  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402

MOSCOW = Point(55.7558, 37.6173)


def make_chain(count: int, rng: random.Random) -> dict[int, Point]:
    # A city chain: stores spread over about 60 x 60 km, denser in the centre.
    return {
        i: Point(MOSCOW.latitude + rng.gauss(0, 0.12), MOSCOW.longitude + rng.gauss(0, 0.2))
        for i in range(count)
    }


def make_members(count: int, stores: int, rng: random.Random) -> list[tuple[Point, dict[int, int]]]:
    members = []
    for _ in range(count):
        home = Point(MOSCOW.latitude + rng.gauss(0, 0.15), MOSCOW.longitude + rng.gauss(0, 0.25))
        visits = {rng.randrange(stores): rng.randint(1, 5) for _ in range(rng.randint(0, 3))}
        members.append((home, visits))
    return members


def full_scan(chain: dict[int, Point], home: Point, visits: dict[int, int]) -> list[int]:
    ranked = sorted(chain, key=lambda key: distance_km(home, chain[key]))
    ordered = sorted(visits, key=lambda key: (-visits[key], str(key))) + ranked
    return list(dict.fromkeys(ordered))[:10]


def bench_selection(members: int, stores: int, runs: int) -> None:
    rng = random.Random(42)
    chain = make_chain(stores, rng)
    people = make_members(members, stores, rng)
    started = time.perf_counter()
    index = StoreIndex(chain, cell_degrees=0.02)
    build = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for home, visits in people:
            choose_stores(index, visits=visits, home=home)
        times.append(time.perf_counter() - started)
    sample = people[: max(1, members // 50)]
    started = time.perf_counter()
    for home, visits in sample:
        full_scan(chain, home, visits)
    scan_per_member = (time.perf_counter() - started) / len(sample)
    checked = sample[:500]
    same = sum(choose_stores(index, visits=v, home=h) == full_scan(chain, h, v) for h, v in checked)
    ours = statistics.median(times)
    print(f"(a) grid index: build {build * 1000:.1f} ms; {members:,} members x {stores:,} stores:"
          f" {', '.join(f'{t:.2f}' for t in times)} s (median {ours:.2f} s,"
          f" {members / ours:,.0f} members/s, {ours / members * 1e6:.1f} us/member)")  # fmt: skip
    print(f"(b) full scan: {scan_per_member * 1e6:,.0f} us/member on {len(sample):,} members"
          f" (projected {scan_per_member * members:,.0f} s for {members:,});"
          f" ratio {scan_per_member * members / ours:,.0f}x;"
          f" same choice as the scan for {same}/{len(checked)} members")  # fmt: skip


def seed(url: str, members: int, stores: int) -> tuple[object, uuid.UUID]:
    engine = make_engine(url)
    migrate(engine, ROOT / "migrations")
    rng = random.Random(7)
    chain = make_chain(stores, rng)
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Bench")
        program = program_service.create_program(
            session, merchant.id, ProgramCreate(name="P", design="coffee"),
            designs=load_designs(ROOT / "templates" / "cards"),
        )  # fmt: skip
        session.execute(
            insert(Store),
            [{"id": uuid.uuid4(), "merchant_id": merchant.id, "name": f"S{i}",
              "latitude": p.latitude, "longitude": p.longitude, "is_flagship": False,
              "created_at": now} for i, p in chain.items()],
        )  # fmt: skip
        for start in range(0, members, 5000):
            rows, cards = [], []
            for i in range(start, min(members, start + 5000)):
                member_id = uuid.uuid4()
                rows.append({"id": member_id, "merchant_id": merchant.id,
                             "program_id": program.id, "name": f"M{i}", "phone": f"+7900{i:07d}",
                             "points": 0, "stamps": 0, "referral_code": f"R{i:09d}",
                             "home_latitude": MOSCOW.latitude + rng.gauss(0, 0.15),
                             "home_longitude": MOSCOW.longitude + rng.gauss(0, 0.25),
                             "created_at": now})  # fmt: skip
                cards.append({"id": uuid.uuid4(), "merchant_id": merchant.id,
                              "member_id": member_id, "serial_number": f"{i:012d}",
                              "public_token": uuid.uuid4().hex, "authentication_token": "x" * 32,
                              "version": 1, "updated_at": now, "update_tag": 0,
                              "message_quiet": False})  # fmt: skip
            session.execute(insert(Member), rows)
            session.execute(insert(Card), cards)
    return engine, merchant.id


def bench_refresh(url: str, label: str, members: int, stores: int) -> None:
    engine, merchant_id = seed(url, members, stores)
    started = time.perf_counter()
    seen, changed = refresh_merchant(engine, merchant_id, now=datetime.now(UTC))  # type: ignore[arg-type]
    first = time.perf_counter() - started
    started = time.perf_counter()
    _, again = refresh_merchant(engine, merchant_id, now=datetime.now(UTC))  # type: ignore[arg-type]
    second = time.perf_counter() - started
    print(f"(c) refresh on {label}: {seen:,} members, {changed:,} cards changed in {first:.1f} s"
          f" ({seen / first:,.0f} members/s, each change versioned and queued for both wallets);"
          f" unchanged re-run {second:.1f} s ({seen / second:,.0f} members/s,"
          f" {again} changed)")  # fmt: skip
    engine.dispose()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--stores", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db-members", type=int, default=20_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    bench_selection(args.members, args.stores, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        bench_refresh(f"sqlite:///{tmp}/geo.db", "SQLite", args.db_members, args.stores)
    if args.postgres:
        server = start_postgres()
        try:
            url = server.create_database("bench_geo")
            bench_refresh(url, "PostgreSQL", args.db_members, args.stores)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
