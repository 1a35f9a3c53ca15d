"""Program analytics over 100,000 purchases of 20,000 members, on SQLite and PostgreSQL:
the time of one full analytics answer (every metric, a year's period), and of each query.

The rows are written in bulk, then ANALYZE runs (what autovacuum does after a bulk load:
without statistics PostgreSQL plans a never-analysed table as a few rows and picks nested
loops that take minutes).

Run: .venv/bin/python bench/analytics.py [--purchases 100000] [--members 20000]
"""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Engine, insert, text
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.analytics import repository, service  # noqa: E402
from api.db import make_engine, migrate  # noqa: E402
from api.ledger.models import LedgerEntry, Transaction  # noqa: E402
from api.members.models import Member  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.programs.models import Program  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402

SPAN = service.Period(date(2026, 1, 1), date(2026, 12, 31))


def load(engine: Engine, members: int, purchases: int) -> tuple[UUID, UUID]:
    with Session(engine) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Bench")
        program = Program(merchant_id=merchant.id, name="Bench", slug="bench", kind="points",
                          design="coffee", rules={"currency": "RUB"})  # fmt: skip
        session.add(program)
        session.flush()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        ids = [uuid4() for _ in range(members)]
        session.execute(insert(Member), [
            {"id": i, "merchant_id": merchant.id, "program_id": program.id, "name": "m",
             "referral_code": secrets.token_hex(6), "points": 10,
             "created_at": start + timedelta(minutes=13 * n)}
            for n, i in enumerate(ids)
        ])  # fmt: skip
        for first in range(0, purchases, 10_000):
            rows, entries = [], []
            for n in range(first, min(first + 10_000, purchases)):
                member, at, tx = (
                    ids[(n * 7919) % members],
                    start + timedelta(minutes=5 * n),
                    uuid4(),
                )
                rows.append({"id": tx, "merchant_id": merchant.id, "member_id": member,
                             "kind": "purchase", "amount": Decimal(100 + n % 900),
                             "currency": "RUB", "actor": "staff S1: A" if n % 3 == 0 else "api",
                             "created_at": at})  # fmt: skip
                entries.append({"id": uuid4(), "merchant_id": merchant.id, "member_id": member,
                                "transaction_id": tx, "kind": "earn", "currency": "points",
                                "amount": 5, "balance_after": 0, "created_at": at})  # fmt: skip
            session.execute(insert(Transaction), rows)
            session.execute(insert(LedgerEntry), entries)
        merchant_id, program_id = merchant.id, program.id
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return merchant_id, program_id


def measure(name: str, engine: Engine, merchant_id: UUID, program_id: UUID) -> None:
    with Session(engine) as session:
        args = (session, merchant_id, program_id, SPAN.start, SPAN.end)
        queries: dict[str, Callable[[], Any]] = {
            "purchases": lambda: repository.purchases(*args),
            "came_back": lambda: repository.came_back(*args, within_days=(30, 60, 90)),
            "points": lambda: repository.points(*args),
            "staff": lambda: repository.staff_purchases(*args),
            "cohort_activity": lambda: repository.cohort_activity(*args),
        }
        for query, run in queries.items():
            began = time.perf_counter()
            run()
            print(f"{name}: {query} {time.perf_counter() - began:.2f} s")
        best = float("inf")
        for _ in range(3):
            began = time.perf_counter()
            answer = service.analytics(session, merchant_id, program_id, SPAN)
            best = min(best, time.perf_counter() - began)
        print(f"{name}: whole answer, best of 3: {best:.2f} s "
              f"({answer.checks.purchases} purchases, {answer.checks.buyers} buyers)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--purchases", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=20_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/analytics.db")
        migrate(engine, ROOT / "migrations")
        measure("sqlite", engine, *load(engine, options.members, options.purchases))
        engine.dispose()
    postgres = start_postgres()
    try:
        engine = make_engine(postgres.create_database("bench_analytics"))
        migrate(engine, ROOT / "migrations")
        measure("postgresql", engine, *load(engine, options.members, options.purchases))
        engine.dispose()
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
