"""Fan-out of one balance change to 10,000 registered Apple devices, against a fake APNs in
its own process (a real HTTP/2 TLS server with mutual TLS, as in the tests).

Measured in one run:
  (a) pipeline   outbox row -> 10,000 pending pushes -> APNs, with every database write
                 (lease, results, card delivery state), on PostgreSQL: time to the last push
  (b) client     the same 10,000 tokens pushed by our APNs client alone, no database: the
                 ceiling for (a) on this machine, and the figure to compare with other clients
                 (performance-baselines.md: httpx ~430-690/s, aioapns ~2,400-2,900/s, a raw
                 h2 client ~3,400-3,700/s on this machine class)

Run: .venv/bin/python bench/apple_push.py [--devices 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.apple_webservice.models import AppleDevice, AppleRegistration  # noqa: E402
from api.apple_webservice.pusher import ApplePusher  # noqa: E402
from api.apple_webservice.sender import ApnsSender  # noqa: E402
from api.clock import utcnow  # noqa: E402
from api.db import make_engine, migrate  # noqa: E402
from api.devcerts import write_dev_certs  # noqa: E402
from api.enrolment import service as enrolment_service  # noqa: E402
from api.ledger.postings import Actor  # noqa: E402
from api.members.schemas import MemberCreate  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.programs import service as program_service  # noqa: E402
from api.programs.schemas import ProgramCreate  # noqa: E402
from api.settings import DEV_PASS_TYPE_ID, Settings  # noqa: E402
from api.transactions import service as transaction_service  # noqa: E402
from api.transactions.schemas import PurchaseRequest  # noqa: E402
from passes import load_designs  # noqa: E402
from passes.apple.apns import ApnsClient, client_ssl_context  # noqa: E402
from tests.support.fake_apns import FakeApnsProcess  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402


def seed(url: str, devices: int) -> tuple[object, object, list[str]]:
    engine = make_engine(url)
    migrate(engine, ROOT / "migrations")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Bench")
        program = program_service.create_program(
            session, merchant.id, ProgramCreate(name="P", design="florist"),
            designs=load_designs(ROOT / "templates" / "cards"),
        )  # fmt: skip
        member, card, _ = enrolment_service.enrol(
            session, merchant.id, program.id, MemberCreate(name="M", phone="+79000000000")
        )
        tokens = [uuid.uuid4().hex * 2 for _ in range(devices)]
        rows = [{"id": uuid.uuid4(), "device_library_identifier": f"d{i}", "push_token": t}
                for i, t in enumerate(tokens)]  # fmt: skip
        session.execute(insert(AppleDevice), rows)
        session.execute(
            insert(AppleRegistration),
            [{"id": uuid.uuid4(), "merchant_id": merchant.id, "device_id": r["id"],
              "card_id": card.id} for r in rows],
        )  # fmt: skip
    return engine, (merchant.id, member.id), tokens


def main() -> None:
    parser = argparse.ArgumentParser(description="Apple push fan-out")
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pki = Path(tempfile.mkdtemp())
    write_dev_certs(pki)
    apple = pki / "apple"
    postgres = start_postgres()
    try:
        with FakeApnsProcess(
            topic=DEV_PASS_TYPE_ID, client_ca_file=apple / "root-ca.pem",
            ca_out=tempfile.mkdtemp(),
        ) as fake:  # fmt: skip
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                apple_cert_file=apple / "pass.pem", apple_key_file=apple / "pass.key",
                apple_wwdr_file=apple / "wwdr.pem", apns_url=fake.url, apns_ca_file=fake.ca_file,
            )  # fmt: skip
            pipeline, client = [], []
            for repeat in range(args.repeats):
                url = postgres.create_database(f"bench_push_{repeat}")
                engine, (merchant_id, member_id), tokens = seed(url, args.devices)
                sender = ApnsSender.from_settings(settings, DEV_PASS_TYPE_ID)
                pusher = ApplePusher(engine, sender.send, batch_size=1000)  # type: ignore[arg-type]
                with Session(engine) as session, session.begin():
                    transaction_service.record(
                        session, merchant_id, member_id,  # type: ignore[arg-type]
                        PurchaseRequest(kind="purchase", amount=Decimal(100), currency="RUB"),
                        actor=Actor("bench"), now=utcnow(),
                    )  # fmt: skip
                before = fake.stats()["count"]
                start = time.perf_counter()
                report = pusher.run_once()
                elapsed = time.perf_counter() - start
                assert report.delivered == args.devices, report
                assert fake.stats()["count"] - before == args.devices
                pipeline.append((elapsed, args.devices / elapsed))
                sender.close()
                engine.dispose()  # type: ignore[attr-defined]

                context = client_ssl_context(
                    apple / "pass.pem", apple / "pass.key", wwdr_file=apple / "wwdr.pem",
                    ca_file=fake.ca_file,
                )  # fmt: skip
                apns = ApnsClient(url=fake.url, ssl_context=context, topic=DEV_PASS_TYPE_ID)

                async def only_client(apns: ApnsClient = apns, tokens: list[str] = tokens) -> float:
                    await apns.push_many(tokens[:100])  # connect and warm up
                    start = time.perf_counter()
                    results = await apns.push_many(tokens)
                    took = time.perf_counter() - start
                    await apns.close()
                    assert all(r.is_delivered for r in results)
                    return took

                took = asyncio.run(only_client())
                client.append((took, args.devices / took))
    finally:
        postgres.stop()
    print(f"fan-out of one change to {args.devices} devices ({args.repeats} runs; fake APNs in "
          "its own process)")  # fmt: skip
    print(f"{'':<44} {'min':>9} {'median':>9} {'max':>9}")
    for name, rows in (("(a) pipeline, PostgreSQL: pushes/s", pipeline),
                       ("(b) APNs client alone: pushes/s", client)):  # fmt: skip
        rates = [rate for _, rate in rows]
        print(f"{name:<44} {min(rates):>9.0f} {statistics.median(rates):>9.0f} {max(rates):>9.0f}")
    times = [t for t, _ in pipeline]
    label = "(a) time to the last push, s"
    print(f"{label:<44} {min(times):>9.2f} {statistics.median(times):>9.2f} {max(times):>9.2f}")
    a = statistics.median(r for _, r in pipeline)
    b = statistics.median(r for _, r in client)
    print(f"\npipeline / client alone  {a / b:6.1%}   (goal: >= 3,000 pushes/s from one worker)")


if __name__ == "__main__":
    main()
