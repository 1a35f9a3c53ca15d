"""Google Wallet objects inserted and updated per second by the outbox consumer
(``GoogleSync.run_once``), against the fake Google of the tests in its own process.

The fake (tests/support/fake_google.py: a real HTTP/1.1 server on loopback with Google's token
endpoint and the walletobjects API, validating every body) runs in a spawned process so that
its CPU does not share the GIL with the code under test. For each repeat the script seeds a
fresh database through the services (one merchant, one points program, N members), then
  insert   one ``run_once()`` inserts the class and the N LoyaltyObjects (batch size N);
  update   after one purchase per member (``api.ledger.service.record``), one ``run_once()``
           PATCHes the N objects: every database read and write of the sync included.
Modes:
  (a) the production pacing, ``google_requests_per_second`` = 15 (Google allows 20 per
      second per project): expect ~15 objects/s, so N is smaller (``--limited-members``);
      a round of N cards is bulk work, sent through the batch endpoint (4 calls a batch);
  (b) the limiter off (``per_second`` 1e9): our own per-object cost, a bulk round through
      Google's batch endpoint, with the time split into claim (one transaction: hold and
      read the N cards, render the objects), Google's HTTP calls, and bookkeeping (one
      transaction: mark the outbox rows done);
  (b2) the same, the batch endpoint off: card by card, 4 cards at once.
Peer baseline, same run, same fake, same N objects, no database:
  (c) what Google's Python samples (google-wallet/rest-samples) do to update an object, a
      bare ``AuthorizedSession.patch(url, json=...)`` per object in a loop, here PATCHing
      loyaltyPoints only (the samples' ``patch_object`` also GETs the object before each
      PATCH; that GET is left out, which makes the baseline faster), right before and right
      after each (b) run: their mean is that run's baseline, so a shared machine's load
      weighs on both sides of each run's ratio;
  (d) the same bare loop sending the bodies (b) sent (the whole object but its ids): the
      share of our time that is only the bigger request.
The fake answers 429 above 20 requests/s during (a), as Google would; every answer other
than 2xx is counted and printed (a 429 would be retried by the client, and show as time).

Run: .venv/bin/python bench/google_sync.py [--postgres] [--members 1000]
     [--limited-members 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from uuid import UUID

from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from sqlalchemy import Engine, select
from sqlmodel import Session, col

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.clock import utcnow  # noqa: E402
from api.db import make_engine, migrate  # noqa: E402
from api.enrolment import service as enrolment_service  # noqa: E402
from api.google_wallet import batch  # noqa: E402
from api.google_wallet.models import GoogleObject  # noqa: E402
from api.google_wallet.steps import CardPush  # noqa: E402
from api.google_wallet.sync import GoogleSync  # noqa: E402
from api.google_wallet.wallet import GoogleWallet  # noqa: E402
from api.ledger.postings import Actor  # noqa: E402
from api.members.models import Card, Member  # noqa: E402
from api.members.schemas import MemberCreate  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from api.programs import service as program_service  # noqa: E402
from api.programs.schemas import ProgramCreate  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.transactions import service as transaction_service  # noqa: E402
from api.transactions.schemas import PurchaseRequest  # noqa: E402
from passes import CardDesign, load_designs  # noqa: E402
from tests.support.fake_google import (  # noqa: E402
    DEFAULT_ISSUER_ID,
    WALLET_SCOPE,
    FakeGoogle,
    _ReroutedAuthorizedSession,
)
from tests.support.postgres import PostgresServer, start_postgres  # noqa: E402

UNLIMITED = 1e9  # requests per second: the limiter never waits
PURCHASE = PurchaseRequest(kind="purchase", amount=Decimal(100), currency="RUB")


# --- the fake Google, in its own process --------------------------------------------------------


def serve_fake(conn: Connection) -> None:
    """The child: start the fake, send its key file and URLs, answer commands until "stop"."""
    with FakeGoogle(record_requests=False) as fake:
        conn.send({"info": fake.new_service_account(), "url": fake.url,
                   "api_url": fake.api_url, "keys_url": fake.keys_url})  # fmt: skip
        while True:
            command, arg = conn.recv()
            if command == "stop":
                break
            if command == "get_object":
                conn.send(fake.get_object(arg))
            elif command == "errors":
                conn.send(list(fake.errors))
            elif command == "rate_limit":
                fake.rate_limit = arg
                conn.send(None)
    conn.close()


class FakeGoogleProcess:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=serve_fake, args=(child,), name="fake-google")
        self.process.start()
        child.close()
        if not self._conn.poll(60):
            self.stop()
            raise RuntimeError("the fake Google process did not start")
        hello = self._conn.recv()
        self.info: dict[str, str] = hello["info"]
        self.url: str = hello["url"]
        self.api_url: str = hello["api_url"]
        self.keys_url: str = hello["keys_url"]

    def call(self, command: str, arg: Any = None) -> Any:
        self._conn.send((command, arg))
        return self._conn.recv()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(("stop", None))
        self.process.join(15)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()
        self._conn.close()


class _FakeAddress:
    """The parent's stand-in for the fake: ``FakeGoogle.reroute`` and ``auth_request`` only
    use its URL, so ``_ReroutedAuthorizedSession`` works with this as with the fake itself."""

    reroute = FakeGoogle.reroute
    auth_request = FakeGoogle.auth_request

    def __init__(self, url: str) -> None:
        self.url = url


def session_factory(url: str) -> Callable[[Mapping[str, Any]], AuthorizedSession]:
    """What ``FakeGoogle.authorized_session`` builds, for a fake in another process: google-auth's
    AuthorizedSession, with every request to Google's hosts sent to ``url``."""

    def build(info: Mapping[str, Any]) -> AuthorizedSession:
        credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            dict(info), scopes=[WALLET_SCOPE]
        )
        return _ReroutedAuthorizedSession(credentials, _FakeAddress(url))  # type: ignore[arg-type]

    return build


# --- seeding ------------------------------------------------------------------------------------


def seed(
    url: str, members: int, designs: Mapping[str, CardDesign]
) -> tuple[Engine, UUID, list[UUID]]:
    engine = make_engine(url)
    migrate(engine, ROOT / "migrations")
    with Session(engine, expire_on_commit=False) as session, session.begin():
        merchant, _ = merchant_service.create_merchant(session, name="Bench")
        program = program_service.create_program(
            session, merchant.id, ProgramCreate(name="P", design="florist"), designs=designs
        )
        ids = []
        for i in range(members):
            member, _, _ = enrolment_service.enrol(
                session, merchant.id, program.id, MemberCreate(name=f"M{i}", phone=f"+7900{i:07d}")
            )
            ids.append(member.id)
    return engine, merchant.id, ids


def purchase_each(engine: Engine, merchant_id: UUID, member_ids: list[UUID]) -> None:
    """One purchase per member, each in its own transaction as the API records it."""
    for member_id in member_ids:
        with Session(engine) as session, session.begin():
            transaction_service.record(session, merchant_id, member_id, PURCHASE,
                                  actor=Actor("bench"), now=utcnow())  # fmt: skip


def object_ids(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.execute(select(col(GoogleObject.object_id))).scalars())


# --- measuring ----------------------------------------------------------------------------------


class Stopwatch:
    """Wraps callables on an instance and sums the time spent in each (for the breakdown)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, owner: object, name: str, label: str) -> None:
        inner = getattr(owner, name)
        self.spent.setdefault(label, 0.0)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - start

        setattr(owner, name, timed)

    def reset(self) -> dict[str, float]:
        spent, self.spent = self.spent, dict.fromkeys(self.spent, 0.0)
        return spent


def timed_run(sync: GoogleSync, expected: int) -> float:
    start = time.perf_counter()
    report = sync.run_once()
    elapsed = time.perf_counter() - start
    if (report.synced, report.failed) != (expected, 0):
        raise RuntimeError(f"run_once synced {report}, expected {expected} and no failure")
    return elapsed


def bare_patch_loop(
    session: AuthorizedSession, api_url: str, bodies: list[tuple[str, dict[str, Any]]]
) -> float:
    """The peer: Google's samples' way to update an object, one bare PATCH after another."""
    start = time.perf_counter()
    for object_id, body in bodies:
        response = session.patch(f"{api_url}/loyaltyObject/{object_id}", json=body)  # type: ignore[no-untyped-call]
        if response.status_code != 200:
            raise RuntimeError(f"baseline PATCH answered {response.status_code}: {response.text}")
    return time.perf_counter() - start


def bare_points(peer: AuthorizedSession | None, api_url: str, engine: Engine, salt: int) -> float:
    """Seconds the peer's bare loop takes to PATCH the loyaltyPoints of every object."""
    if peer is None:
        return 0.0
    ids = object_ids(engine)
    peer.get(f"{api_url}/loyaltyObject/{ids[0]}")  # token, connection
    points = [(object_id, {"loyaltyPoints": {"label": "POINTS",
               "balance": {"int": 10_000 * salt + i}}})
              for i, object_id in enumerate(ids)]  # fmt: skip
    return bare_patch_loop(peer, api_url, points)


def run_mode(
    *,
    mode: str,
    per_second: float,
    members: int,
    repeats: int,
    fake: FakeGoogleProcess,
    new_database: Callable[[str], str],
    key_file: Path,
    designs: Mapping[str, CardDesign],
    baseline: bool,
    batch_min: int = 20,
    concurrency: int = 4,
) -> dict[str, list[Any]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        google_issuer_id=DEFAULT_ISSUER_ID, google_service_account_file=key_file,
        google_api_url=fake.api_url, google_callback_keys_url=fake.keys_url,
        google_requests_per_second=per_second, public_url="https://loyalty.example.com",
    )  # fmt: skip
    wallet = GoogleWallet.from_settings(
        settings, designs, session_factory=session_factory(fake.url)
    )
    peer = session_factory(fake.url)(fake.info) if baseline else None
    result: dict[str, list[Any]] = {
        "inserted": [], "updated": [], "baseline": [], "full_body": [], "breakdown": [],
        "refused": [], "ratio": [],
    }  # fmt: skip
    watch = Stopwatch()
    sent: list[tuple[str, dict[str, Any]]] = []  # the PATCH bodies of the update run

    def record_patches(pushes: list[CardPush]) -> None:
        for push in pushes:
            call = push.steps[0].call
            if call.method == "PATCH" and call.body is not None:
                sent.append((push.work.object_body["id"], dict(call.body)))

    def count_refusals(response: Any, *args: Any, **kwargs: Any) -> None:
        if response.status_code >= 300:
            result["refused"].append(1)

    wallet.client.session.hooks["response"].append(count_refusals)
    parse = batch.parse

    def counted_parse(content_type: str, data: bytes, count: int) -> list[batch.Answer]:
        answers = parse(content_type, data, count)
        result["refused"].extend(1 for answer in answers if not answer.ok)
        return answers

    batch.parse = counted_parse  # type: ignore[assignment]
    try:
        for repeat in range(repeats):
            began = time.perf_counter()
            engine, merchant_id, member_ids = seed(new_database(f"{mode}_{repeat}"), members,
                                                   designs)  # fmt: skip
            seeded = time.perf_counter() - began
            try:
                sync = GoogleSync(engine, wallet, batch_size=members,
                                  shared_pacing=wallet.client.per_second < UNLIMITED,
                                  batch_min=batch_min, concurrency=concurrency)  # fmt: skip
                send = sync._send

                def recorded_send(pushes: list[CardPush], send: Any = send) -> None:
                    record_patches(pushes)
                    send(pushes)

                sync._send = recorded_send  # type: ignore[method-assign]
                watch.wrap(sync, "_claim", "claim")
                watch.wrap(sync, "_write_classes", "google")
                watch.wrap(sync, "_send", "google")
                watch.wrap(sync, "_record", "bookkeeping")
                took = timed_run(sync, members)  # the class and N objects
                result["inserted"].append(members / took)
                began = time.perf_counter()
                purchase_each(engine, merchant_id, member_ids)
                bought = time.perf_counter() - began
                watch.reset()
                sent.clear()
                bare_before = bare_points(peer, fake.api_url, engine, 2 * repeat)
                took = timed_run(sync, members)  # N PATCHes
                result["updated"].append(members / took)
                spent = watch.reset()
                spent["other"] = took - sum(spent.values())
                result["breakdown"].append({k: v / members * 1000 for k, v in spent.items()})
                check(fake, engine, members)
                if peer is not None:
                    # the baseline right before and right after (b): the same load on both
                    bare_after = bare_points(peer, fake.api_url, engine, 2 * repeat + 1)
                    result["baseline"].append(2 * members / (bare_before + bare_after))
                    result["ratio"].append(result["updated"][-1] / result["baseline"][-1])
                    took = bare_patch_loop(peer, fake.api_url, sent)
                    result["full_body"].append(members / took)
                print(f"{mode} run {repeat + 1}/{repeats}: seeded {members} members in "
                      f"{seeded:.1f} s, {members} purchases in {bought:.1f} s, inserted "
                      f"{result['inserted'][-1]:.1f}/s, updated {result['updated'][-1]:.1f}/s",
                      file=sys.stderr)  # fmt: skip
            finally:
                engine.dispose()
    finally:
        batch.parse = parse  # type: ignore[assignment]
        wallet.close()
        if peer is not None:
            peer.close()  # type: ignore[no-untyped-call]
    return result


def check(fake: FakeGoogleProcess, engine: Engine, members: int) -> None:
    """Every card is synced at its current version, and the newest object on Google shows its
    member's balance."""
    with Session(engine) as session:
        rows = session.execute(
            select(GoogleObject, Card, Member)
            .join(Card, col(Card.id) == col(GoogleObject.card_id))
            .join(Member, col(Member.id) == col(Card.member_id))
            .order_by(col(GoogleObject.synced_at))
        ).all()
    current = [row for row in rows if row.GoogleObject.synced_version == row.Card.version > 1]
    if len(current) != members:
        raise RuntimeError(f"{len(current)} of {members} cards synced after the purchase")
    last = rows[-1]
    stored = fake.call("get_object", last.GoogleObject.object_id)
    shown = stored and [str(v) for v in stored["loyaltyPoints"]["balance"].values()]
    if shown != [str(last.Member.points)]:
        raise RuntimeError(f"{last.GoogleObject.object_id} on Google: {shown}, "
                           f"the member has {last.Member.points}")  # fmt: skip
    errors = fake.call("errors")
    if errors:
        raise RuntimeError(f"the fake failed: {errors[-1]}")


# --- report -------------------------------------------------------------------------------------


def runs(values: list[float]) -> str:
    return ", ".join(f"{v:,.1f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description="Google Wallet objects updated per second")
    parser.add_argument("--members", type=int, default=1000, help="N, limiter off")
    parser.add_argument("--limited-members", type=int, default=100, help="N at 15 requests/s")
    parser.add_argument("--per-second", type=float, default=Settings.model_fields[
        "google_requests_per_second"].default, help="the production pacing (mode a)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-google-"))
    designs = load_designs(ROOT / "templates" / "cards")
    postgres: PostgresServer | None = None
    fake: FakeGoogleProcess | None = None
    try:
        if args.postgres:
            postgres = start_postgres()
            server = postgres

            def new_database(name: str) -> str:
                return server.create_database(f"bench_google_{name}")
        else:

            def new_database(name: str) -> str:
                return f"sqlite:///{workdir / name}.db"

        fake = FakeGoogleProcess()
        key_file = workdir / "service-account.json"
        key_file.write_text(json.dumps(fake.info))
        common = {"repeats": args.repeats, "fake": fake, "new_database": new_database,
                  "key_file": key_file, "designs": designs}  # fmt: skip
        fake.call("rate_limit", 20)  # Google's quota: a 429 is counted (and retried)
        limited = run_mode(mode="limited", per_second=args.per_second,
                           members=args.limited_members, baseline=False, **common)  # fmt: skip
        fake.call("rate_limit", None)
        unlimited = run_mode(mode="unlimited", per_second=UNLIMITED, members=args.members,
                             baseline=True, **common)  # fmt: skip
        alone = run_mode(mode="alone", per_second=UNLIMITED, members=args.members,
                         baseline=True, batch_min=0, **common)  # fmt: skip
    finally:
        if fake is not None:
            fake.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"GoogleSync.run_once against the fake Google in its own process, {database}, "
          f"{args.repeats} runs (each on a fresh database)")  # fmt: skip
    print(f"{'series':<66} {'median':>7} {'ms/obj':>7}  runs")
    a = f"(a) limiter {args.per_second:g}/s, N={args.limited_members}:"
    b = f"(b) limiter off, N={args.members}, batch endpoint:"
    b2 = f"(b2) limiter off, N={args.members}, no batch, 4 at once:"
    rows = [
        (f"{a} objects inserted/s", limited["inserted"]),
        (f"{a} objects updated/s", limited["updated"]),
        (f"{b} objects inserted/s", unlimited["inserted"]),
        (f"{b} objects updated/s", unlimited["updated"]),
        (f"{b2} objects inserted/s", alone["inserted"]),
        (f"{b2} objects updated/s", alone["updated"]),
        ("(c) baseline: bare AuthorizedSession.patch of loyaltyPoints/s",
         unlimited["baseline"] + alone["baseline"]),
        ("(d) the same bare loop, with the bodies (b) sent/s",
         unlimited["full_body"] + alone["full_body"]),
    ]  # fmt: skip
    for name, values in rows:
        median = statistics.median(values)
        print(f"{name:<66} {median:>7,.1f} {1000 / median:>7.2f}  {runs(values)}")
    baseline = statistics.median(unlimited["baseline"] + alone["baseline"])
    full_body = statistics.median(unlimited["full_body"] + alone["full_body"])
    for label, series in (("(b)", unlimited), ("(b2)", alone)):
        ours = statistics.median(series["updated"])
        print(f"{label} / (c), each run against the baseline measured around it: median "
              f"{statistics.median(series['ratio']):.1%} (runs "
              f"{', '.join(f'{r:.1%}' for r in series['ratio'])});  medians {ours / baseline:.1%};"
              f"  {label} / (d): {ours / full_body:.1%}")  # fmt: skip
    labels = ("claim", "google", "bookkeeping", "other")
    for label, series in (("(b)", unlimited), ("(b2)", alone)):
        print(f"{label} update, ms per object: " + ", ".join(
            f"{name} {statistics.median(b[name] for b in series['breakdown']):.2f}"
            for name in labels))  # fmt: skip
    print(f"Google answers other than 2xx (each call of a batch counted): "
          f"(a) {sum(limited['refused'])}, (b) {sum(unlimited['refused'])}, "
          f"(b2) {sum(alone['refused'])}")  # fmt: skip


if __name__ == "__main__":
    main()
