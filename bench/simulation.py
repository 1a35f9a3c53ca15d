"""The rules simulation over 100,000 purchases on SQLite.

Seeds a points program with 10,000 members and 100,000 purchases spread over the last year
(bulk inserts; every tenth purchase partly refunded), then times
``api.mechanics.simulation.simulate`` with a draft that changes the earn rate and adds three
tiers on a rolling 365-day window, over the last 365 days (every purchase). The baseline
measured in the same run is streaming the same rows with the same query and nothing else: the
cost of reading them, which any replay pays.

Run: .venv/bin/python bench/simulation.py [--purchases 100000] [--members 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import make_engine, migrate  # noqa: E402
from api.ledger.models import Transaction, TransactionKind  # noqa: E402
from api.mechanics import repository as mechanics_repository  # noqa: E402
from api.mechanics.simulation import read_only_session, simulate  # noqa: E402
from api.members.models import Member  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.programs import service as program_service  # noqa: E402
from api.programs.rules import ProgramRules  # noqa: E402
from api.programs.schemas import ProgramCreate  # noqa: E402
from passes import load_designs  # noqa: E402

LIVE = {"currency": "RUB", "earn": {"points": 5, "per_amount": "100"}}
DRAFT = {
    "currency": "RUB",
    "earn": {"points": 7, "per_amount": "100", "max_points_per_day": 300},
    "tiers": {
        "metric": "spend",
        "window": "rolling_days",
        "window_days": 365,
        "downgrade": "automatic",
        "levels": [
            {"name": "Silver", "threshold": "10000", "earn_multiplier": "1.2"},
            {"name": "Gold", "threshold": "30000", "earn_multiplier": "1.5"},
            {"name": "Platinum", "threshold": "60000", "earn_multiplier": "2"},
        ],
    },
}


def seed(url: str, members: int, purchases: int, now: datetime) -> tuple[uuid.UUID, uuid.UUID]:
    engine = make_engine(url)
    migrate(engine, ROOT / "migrations")
    rng = random.Random(14)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Bench")
        program = program_service.create_program(
            session, merchant.id, ProgramCreate(name="P", rules=ProgramRules.model_validate(LIVE)),
            designs=load_designs(ROOT / "templates" / "cards"),
        )  # fmt: skip
    ids = [uuid.uuid4() for _ in range(members)]
    with Session(engine) as session, session.begin():
        rows = [
            {"id": member_id, "merchant_id": merchant.id, "program_id": program.id,
             "name": f"M{i}", "phone": f"+7900{i:07d}", "points": rng.randrange(0, 2000),
             "stamps": 0, "referral_code": f"R{i:09d}", "created_at": now}
            for i, member_id in enumerate(ids)
        ]  # fmt: skip
        session.execute(insert(Member), rows)
    for start in range(0, purchases, 10_000):
        with Session(engine) as session, session.begin():
            batch = []
            for i in range(start, min(purchases, start + 10_000)):
                amount = Decimal(rng.randrange(100, 500_000)) / 100
                batch.append({
                    "id": uuid.uuid4(), "merchant_id": merchant.id,
                    "member_id": ids[rng.randrange(members)],
                    "kind": TransactionKind.purchase, "amount": amount, "currency": "RUB",
                    "refunded_amount": (amount / 2).quantize(Decimal("0.01"))
                    if i % 10 == 0 else Decimal(0),
                    "points_earned": int(amount / 20), "stamps_earned": 0, "actor": "bench",
                    "created_at": now - timedelta(seconds=rng.randrange(364 * 86_400)),
                })  # fmt: skip
            session.execute(insert(Transaction), batch)
    engine.dispose()
    return merchant.id, program.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--purchases", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        started = time.perf_counter()
        merchant_id, program_id = seed(url, args.members, args.purchases, now)
        print(f"seeded {args.purchases:,} purchases in {time.perf_counter() - started:.1f} s")
        engine = make_engine(url)
        draft = ProgramRules.model_validate(DRAFT)
        reads, runs = [], []
        for _ in range(args.repeat):
            with read_only_session(engine) as session:
                started = time.perf_counter()
                rows = mechanics_repository.stream_purchases(
                    session, merchant_id, program_id, now - timedelta(days=365), until=now
                )
                count = sum(1 for _ in rows)
                reads.append(time.perf_counter() - started)
            with read_only_session(engine) as session:
                started = time.perf_counter()
                result = simulate(
                    session, merchant_id, program_id, draft, days=365,
                    point_value=Decimal(1), now=now,
                )  # fmt: skip
                runs.append(time.perf_counter() - started)
        engine.dispose()
    read, run = statistics.median(reads), statistics.median(runs)
    print(f"purchases replayed: {result.purchases:,} (read: {count:,})")
    print(f"live  issued {result.live.issued:,} cost {result.live.cost_percent} %")
    print(f"draft issued {result.draft.issued:,} cost {result.draft.cost_percent} %")
    print(f"baseline, streaming the rows: {read:.2f} s ({count / read:,.0f} rows/s)")
    print(f"simulation, draft and live:   {run:.2f} s ({result.purchases / run:,.0f} purchases/s)")
    print(f"ratio: {run / read:.1f}x the read (median of {args.repeat})")


if __name__ == "__main__":
    main()
