"""A push campaign to 100,000 members on PostgreSQL, through the real pipeline: the campaign
send (every card gets the message, a new version and an outbox row), then the Apple pusher
(outbox -> one push per registered device -> a fake APNs in its own process, a real HTTP/2
TLS server with mutual TLS, as in the tests). Each member has one registered iPhone.

Reported: time until every card is updated, time until every push is accepted, and the rates;
the baseline in the same run is the APNs client alone pushing the same number of tokens (what
any sender, with no database, needs at least).

Google Wallet is not in this run: Google allows 20 requests per second per project, so any
issuer needs 100,000 / 20 = 83 minutes to patch 100,000 objects, and we pace at 15/s
(bench/google_sync.py measures our Google sync against the fake Google).

Run: .venv/bin/python bench/campaign.py [--members 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.apple_webservice import prerender  # noqa: E402
from api.apple_webservice.models import AppleDevice, AppleRegistration  # noqa: E402
from api.apple_webservice.pusher import ApplePusher  # noqa: E402
from api.apple_webservice.sender import ApnsSender  # noqa: E402
from api.audit.service import OperatorActor  # noqa: E402
from api.campaigns import service as campaign_service  # noqa: E402
from api.campaigns import tasks as campaign_tasks  # noqa: E402
from api.cards.apple import AppleWallet  # noqa: E402
from api.db import make_engine, migrate  # noqa: E402
from api.devcerts import write_dev_certs  # noqa: E402
from api.main import build_signer  # noqa: E402
from api.members.models import Card, Member  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.polling import PollingThread  # noqa: E402
from api.programs import service as program_service  # noqa: E402
from api.programs.schemas import ProgramCreate  # noqa: E402
from api.settings import DEV_PASS_TYPE_ID, Settings  # noqa: E402
from passes import load_designs  # noqa: E402
from passes.apple.apns import ApnsClient, client_ssl_context  # noqa: E402
from tests.support.fake_apns import FakeApnsProcess  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402
from tests.support.server import free_port  # noqa: E402


def card_token(i: int) -> str:
    """Card ``i``'s authentication token (its serial is ``f"{i:012d}"``): load generators
    compute both from a counter instead of carrying 100,000 pairs."""
    return f"t{i:031d}"


def seed(url: str, members: int) -> tuple[object, uuid.UUID, uuid.UUID, list[str]]:
    engine = make_engine(url)
    migrate(engine, ROOT / "migrations")
    now = datetime.now(UTC)
    tokens: list[str] = []
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Bench")
        program = program_service.create_program(
            session, merchant.id, ProgramCreate(name="P", design="coffee"),
            designs=load_designs(ROOT / "templates" / "cards"),
        )  # fmt: skip
    for start in range(0, members, 5000):
        with Session(engine) as session, session.begin():
            rows, cards, devices, registrations = [], [], [], []
            for i in range(start, min(members, start + 5000)):
                member_id, card_id, device_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
                token = uuid.uuid4().hex * 2
                tokens.append(token)
                rows.append({"id": member_id, "merchant_id": merchant.id,
                             "program_id": program.id, "name": f"M{i}", "phone": f"+7900{i:07d}",
                             "points": 0, "stamps": 0, "referral_code": f"R{i:09d}",
                             "created_at": now})  # fmt: skip
                cards.append({"id": card_id, "merchant_id": merchant.id, "member_id": member_id,
                              "serial_number": f"{i:012d}", "public_token": uuid.uuid4().hex,
                              "authentication_token": card_token(i), "version": 1,
                              "updated_at": now, "update_tag": 0,
                              "message_quiet": False})  # fmt: skip
                devices.append({"id": device_id, "device_library_identifier": f"d{i}",
                                "push_token": token, "created_at": now,
                                "updated_at": now})  # fmt: skip
                registrations.append({"id": uuid.uuid4(), "merchant_id": merchant.id,
                                      "device_id": device_id, "card_id": card_id,
                                      "created_at": now})  # fmt: skip
            session.execute(insert(Member), rows)
            session.execute(insert(Card), cards)
            session.execute(insert(AppleDevice), devices)
            session.execute(insert(AppleRegistration), registrations)
    return engine, merchant.id, program.id, tokens


def pusher_loop(settings: Settings, engine: Engine) -> tuple[PollingThread, ApnsSender]:
    """The worker's pusher loop (as in `loyalpass worker`), not started, and its sender."""
    sender = ApnsSender.from_settings(settings, DEV_PASS_TYPE_ID)
    pusher = ApplePusher(engine, sender.send, batch_size=1000)
    loop = PollingThread("apple-push", has_work=pusher.has_work, run_once=pusher.run_once)
    return loop, sender


def pusher_process(settings: Settings, url: str) -> None:
    """Another worker process's pusher loop, until it is terminated."""
    pusher_loop(settings, make_engine(url))[0].run()


def main() -> None:
    from bench import fetch_storm

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument(
        "--no-downloads",
        action="store_true",
        help="push only: no server, no pre-render, no device downloads",
    )
    parser.add_argument(
        "--worker-processes", type=int, default=1,
        help="pushers in this many processes (`loyalpass worker` each); the send runs in one",
    )  # fmt: skip
    args = parser.parse_args()
    pki = Path(tempfile.mkdtemp())
    write_dev_certs(pki)
    apple = pki / "apple"
    postgres = start_postgres()
    server = None
    prerendering = None
    downloaded = 0.0
    try:
        with FakeApnsProcess(
            topic=DEV_PASS_TYPE_ID, client_ca_file=apple / "root-ca.pem",
            ca_out=tempfile.mkdtemp(),
        ) as fake:  # fmt: skip
            port = free_port()
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                apple_cert_file=apple / "pass.pem", apple_key_file=apple / "pass.key",
                apple_wwdr_file=apple / "wwdr.pem", apns_url=fake.url, apns_ca_file=fake.ca_file,
                public_url=f"http://127.0.0.1:{port}",
            )  # fmt: skip
            url = postgres.create_database("bench_campaign")
            started = time.perf_counter()
            engine, merchant_id, program_id, tokens = seed(url, args.members)
            print(f"seeded {args.members:,} members, cards and devices in "
                  f"{time.perf_counter() - started:.0f} s")  # fmt: skip
            now = datetime.now(UTC)
            with Session(engine) as session, session.begin():
                campaign = campaign_service.create(
                    session, OperatorActor(merchant_id), program_id, name="Autumn",
                    message="New autumn menu!", segment_id=None, segment=None, send_at=None,
                    now=now,
                )  # fmt: skip
                campaign_id = campaign.id
            env = {**os.environ, "LOYALPASS_DATABASE_URL": url,
                   "LOYALPASS_DEV_CERTS_DIR": str(pki), "LOYALPASS_JOBS_IN_PROCESS": "false",
                   "LOYALPASS_LOG_LEVEL": "WARNING",
                   "LOYALPASS_PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
            if not args.no_downloads:  # the devices' server and the worker's pre-render loop
                server = fetch_storm.start_server(env, port, 2)
                wallet = AppleWallet(
                    build_signer(settings), load_designs(settings.templates_dir / "cards"),
                    web_service_url=settings.apple_web_service_url, allow_http=True,
                    cache_size=1,
                )  # fmt: skip
                prerendering = prerender.start_thread(engine, wallet)  # type: ignore[arg-type]
            # The pusher is the worker's loop, running while the send commits its batches
            # (as in `loyalpass worker`): pushes start with the first committed batch.
            pushing, sender = pusher_loop(settings, engine)  # type: ignore[arg-type]
            before = fake.stats()["count"]
            pushing.start()
            others = [
                multiprocessing.get_context("spawn").Process(
                    target=pusher_process, args=(settings, url), daemon=True
                )
                for _ in range(args.worker_processes - 1)
            ]
            for other in others:
                other.start()
            started = time.perf_counter()
            cards = campaign_tasks.send(engine, campaign_id, now=now)  # type: ignore[arg-type]
            updated = time.perf_counter() - started
            while fake.stats()["count"] - before < args.members:
                time.sleep(0.05)
            pushed = time.perf_counter() - started
            pushing.stop()
            for other in others:
                other.terminate()
            sender.close()
            if not args.no_downloads:  # every device fetches once the pushes are accepted
                fetch_storm.download_all(f"http://127.0.0.1:{port}", args.members, env, engine)
                downloaded = time.perf_counter() - started
                fetch_storm.verify_sample(f"http://127.0.0.1:{port}", engine, args.members,
                                          apple / "root-ca.pem")  # fmt: skip
            assert cards == args.members, cards
            assert fake.stats()["count"] - before == args.members
            engine.dispose()  # type: ignore[attr-defined]

            context = client_ssl_context(
                apple / "pass.pem", apple / "pass.key", wwdr_file=apple / "wwdr.pem",
                ca_file=fake.ca_file,
            )  # fmt: skip
            apns = ApnsClient(url=fake.url, ssl_context=context, topic=DEV_PASS_TYPE_ID)

            async def only_client() -> float:
                await apns.push_many(tokens[:100])
                start = time.perf_counter()
                results = await apns.push_many(tokens)
                took = time.perf_counter() - start
                await apns.close()
                assert all(r.is_delivered for r in results)
                return took

            client = asyncio.run(only_client())
    finally:
        if prerendering is not None:
            prerendering.stop()
        if server is not None:
            fetch_storm.stop(server)
        postgres.stop()
    n = args.members
    print(f"campaign to {n:,} members (PostgreSQL, one iPhone each, fake APNs in its own process)")
    print(f"  every card updated (message, version, outbox):  {updated:7.1f} s  "
          f"{n / updated:8,.0f} cards/s")  # fmt: skip
    print(f"  every push accepted by APNs (from the start):   {pushed:7.1f} s  "
          f"{n / pushed:8,.0f} cards/s")  # fmt: skip
    print(f"  baseline: APNs client alone, same {n:,} tokens: {client:7.1f} s  "
          f"{n / client:8,.0f} pushes/s")  # fmt: skip
    print(f"  whole pipeline / client alone: {client / pushed:.1%}")
    if downloaded:
        print(
            f"  every device's download served (from the send): {downloaded:7.1f} s "
            f"(pre-render loop and 2 server processes; a sample of 20 verified)"
        )


if __name__ == "__main__":
    main()
