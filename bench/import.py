"""Member import and CSV export on PostgreSQL: a 100,000-member CSV (phones, emails, external
ids, opening points and stamps) checked (the dry run), imported (members, cards, ``import``
ledger entries, lots, outbox rows; a transaction per batch of 1,000), imported again (a
no-op), and the members and ledger exported as streamed CSV.

Run: .venv/bin/python bench/import.py [--members 100000] [--sqlite] [--shared-buffers 1GB]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from uuid import UUID

from sqlalchemy import Engine
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import make_engine, migrate  # noqa: E402
from api.imports import export, service, tasks  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.programs.models import Program  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402


def members_csv(count: int) -> bytes:
    lines = ["Имя;Телефон;Email;Код клиента;Баллы;Штампы"]
    for n in range(count):
        lines.append(f"Клиент {n};+7916{n:07d};client{n}@example.ru;POS-{n};{n % 500};{n % 7}")
    return ("\n".join(lines) + "\n").encode()


def program_of(engine: Engine) -> tuple[UUID, UUID]:
    with Session(engine) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Bench")
        program = Program(merchant_id=merchant.id, name="Bench", slug="bench", kind="points",
                          design="coffee", rules={"currency": "RUB"})  # fmt: skip
        session.add(program)
        session.flush()
        return merchant.id, program.id


def measure(name: str, engine: Engine, count: int) -> None:
    merchant_id, program_id = program_of(engine)
    data = members_csv(count)
    started = time.perf_counter()
    with Session(engine) as session:
        plan = service.check(session, merchant_id, program_id, data, "clients.csv")
    checked = time.perf_counter() - started
    print(f"{name}: dry run of {count} rows: {checked:.1f} s ({count / checked:,.0f} rows/s)")
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        plan = service.check(session, merchant_id, program_id, data, "clients.csv")
        job = service.start(session, merchant_id, plan, actor="bench")
    tasks.run(engine, job.id, plan.members)
    took = time.perf_counter() - started
    print(f"{name}: import of {len(plan.members)} members: {took:.1f} s "
          f"({len(plan.members) / took:,.0f} members/s)")  # fmt: skip
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        again = service.check(session, merchant_id, program_id, data, "clients.csv")
        assert again.previous is not None
        assert not again.members
    print(f"{name}: the same file again (a no-op): {time.perf_counter() - started:.1f} s")
    for dataset in (export.Dataset.members, export.Dataset.ledger):
        started = time.perf_counter()
        size = lines = 0
        for chunk in export.rows(engine, merchant_id, program_id, dataset):
            size += len(chunk)
            lines += chunk.count("\n")
        took = time.perf_counter() - started
        print(f"{name}: export {dataset.value}.csv: {lines - 1} rows, {size / 1e6:.1f} MB in "
              f"{took:.1f} s ({(lines - 1) / took:,.0f} rows/s)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--sqlite", action="store_true", help="also measure on SQLite")
    parser.add_argument(
        "--shared-buffers", default=None,
        help="PostgreSQL's shared_buffers (the test server keeps the default, 128MB)",
    )  # fmt: skip
    options = parser.parse_args()
    if options.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{tmp}/import.db")
            migrate(engine, ROOT / "migrations")
            measure("sqlite", engine, options.members)
            engine.dispose()
    settings = (f"shared_buffers={options.shared_buffers}",) if options.shared_buffers else ()
    postgres = start_postgres(settings)
    try:
        engine = make_engine(postgres.create_database("bench_import"))
        migrate(engine, ROOT / "migrations")
        measure("postgresql", engine, options.members)
        engine.dispose()
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
