"""Publishing a design to a program of 100,000 cards, on SQLite and PostgreSQL.

Seeds members and cards with bulk inserts, then times ``design_service.publish`` as the
request runs it (the new version, the live design and the first batches of cards marked
changed, committed), then the designs job that marks the rest (a version bump and an outbox
row per card, one transaction per batch of 1,000).

Run: .venv/bin/python bench/publish.py [--members 100000] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import make_engine, migrate  # noqa: E402
from api.designs import progress as design_progress  # noqa: E402
from api.designs import service as design_service  # noqa: E402
from api.designs import tasks as design_tasks  # noqa: E402
from api.members.models import Card, Member  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.merchants.models import Role  # noqa: E402
from api.merchants.service import Caller  # noqa: E402
from api.outbox.models import OutboxEvent  # noqa: E402
from api.programs import service as program_service  # noqa: E402
from api.programs.schemas import ProgramCreate  # noqa: E402
from passes import load_designs  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402

TEMPLATES = ROOT / "templates" / "cards"


def seed(engine: Engine, members: int) -> tuple[uuid.UUID, uuid.UUID]:
    migrate(engine, ROOT / "migrations")
    now = datetime.now(UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Florist")
        program = program_service.create_program(
            session, merchant.id, ProgramCreate(name="Petals"),
            designs=load_designs(TEMPLATES),
        )  # fmt: skip
    for start in range(0, members, 5000):
        with Session(engine) as session, session.begin():
            rows, cards = [], []
            for i in range(start, min(members, start + 5000)):
                member_id = uuid.uuid4()
                rows.append({"id": member_id, "merchant_id": merchant.id,
                             "program_id": program.id, "name": f"M{i}", "points": 0,
                             "stamps": 0, "referral_code": f"R{i:09d}",
                             "created_at": now})  # fmt: skip
                cards.append({"id": uuid.uuid4(), "merchant_id": merchant.id,
                              "member_id": member_id, "serial_number": f"{i:012d}",
                              "public_token": uuid.uuid4().hex,
                              "authentication_token": "x" * 32, "version": 1,
                              "updated_at": now, "update_tag": 0,
                              "message_quiet": False})  # fmt: skip
            session.execute(insert(Member), rows)
            session.execute(insert(Card), cards)
    return merchant.id, program.id


def publish(engine: Engine, merchant_id: uuid.UUID, program_id: uuid.UUID) -> tuple[float, float]:
    """(seconds the request took, seconds until every card was marked)."""
    caller = Caller(merchant_id=merchant_id, key_id=uuid.uuid4(), role=Role.admin)
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        design_service.publish(session, caller, program_id, TEMPLATES, datetime.now(UTC))
    request = time.perf_counter() - started
    design_tasks.mark_published(engine, now=datetime.now(UTC))
    marked = time.perf_counter() - started
    with Session(engine) as session:
        queued = session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()
        found = design_progress.publish_progress(session, merchant_id, program_id)
    assert found is not None
    assert found.marking_done, found
    assert found.cards_marked == queued, (found, queued)
    return request, marked


def run(name: str, url: str, members: int) -> None:
    engine = make_engine(url)
    started = time.perf_counter()
    merchant_id, program_id = seed(engine, members)
    print(f"{name}: seeded {members:,} members and cards in {time.perf_counter() - started:.0f} s")
    request, marked = publish(engine, merchant_id, program_id)
    print(f"{name}: publish request {request:6.2f} s; every card marked {marked:6.1f} s "
          f"({members / marked:,.0f} cards/s)")  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only != "postgresql":
        folder = Path(tempfile.mkdtemp())
        run("sqlite", f"sqlite:///{folder / 'bench.db'}", args.members)
    if args.only != "sqlite":
        postgres = start_postgres()
        try:
            run("postgresql", postgres.create_database("bench_publish"), args.members)
        finally:
            postgres.stop()


if __name__ == "__main__":
    main()
