"""The production layout under load, started as the README says: ``loyalpass migrate`` once,
then two API processes (``loyalpass serve``) and two workers (``loyalpass worker``) on one
PostgreSQL, the service's own loops off (the workers push). Purchases run against both API
processes from several clients while cards with an iPhone each change; meanwhile one worker
is killed (SIGKILL) and another started, PostgreSQL restarts, and an API process and a worker
are stopped with SIGTERM.

Then: every purchase the service acknowledged is in the ledger exactly once (a client whose
answer was lost retries with the same Idempotency-Key, at the other process if its own is
gone), every card's last change reached the fake APNs, pushes beyond one per change stay
within the batches in flight at the kill and the restart, the service answers again after
the restart (connections re-established), and SIGTERM ends both processes cleanly (exit 0)
after they finish what they were doing.

It runs on its own database of the suite's PostgreSQL server, which it restarts; engines of
other tests check a connection before use (``pool_pre_ping``), so they reconnect.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine, func, insert
from sqlmodel import Session, select

from api.apple_webservice.models import AppleDevice, ApplePush, AppleRegistration
from api.db import make_engine
from api.ledger.models import Transaction
from api.members.models import Card
from api.merchants import service as merchant_service
from api.outbox.models import OutboxEvent
from api.settings import DEV_PASS_TYPE_ID
from tests.conftest import BACKENDS, PROJECT_ROOT
from tests.support.fake_apns import FakeApns
from tests.support.postgres import PostgresServer
from tests.support.server import free_port

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs PostgreSQL")

MEMBERS = 30
CLIENTS = 6
BATCH = 10  # the workers' push batch: what may be in flight when one dies
LOADED = 0.2  # seconds between a client's purchases
ATTEMPTS_FOR = 60.0  # seconds a client keeps retrying one purchase


def loyalpass(*args: str) -> list[str]:
    return [sys.executable, "-m", "api.cli", *args]


@dataclass
class Layout:
    env: dict[str, str]
    workdir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            loyalpass(*args), cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=log
        )
        log.close()
        self.processes.append(process)
        return process

    def serve(self, name: str) -> tuple[subprocess.Popen[bytes], str]:
        """Start an API process; its URL answers once :meth:`wait_ready` returns."""
        port = free_port()
        process = self.start(name, "serve", "--host", "127.0.0.1", "--port", str(port))
        return process, f"http://127.0.0.1:{port}"

    def wait_ready(self, name: str, process: subprocess.Popen[bytes], url: str) -> None:
        deadline = time.monotonic() + 180  # four processes importing at once on a busy machine
        last = ""
        while True:
            assert process.poll() is None, self.log(name)
            try:
                answer = requests.get(f"{url}/healthz", timeout=5)
            except requests.RequestException as exc:
                last = repr(exc)
            else:
                if answer.status_code == 200:
                    return
                last = f"{answer.status_code} {answer.text[:500]}"
            assert time.monotonic() < deadline, f"{name} did not start: {last} {self.log(name)}"
            time.sleep(0.2)

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)


@pytest.fixture
def fake(pki_dir: Path) -> Iterator[FakeApns]:
    with FakeApns(topic=DEV_PASS_TYPE_ID, client_ca_file=pki_dir / "apple" / "root-ca.pem") as f:
        yield f


@pytest.fixture
def layout(
    postgres: PostgresServer, pki_dir: Path, fake: FakeApns, tmp_path: Path
) -> Iterator[tuple[Layout, Engine]]:
    url = postgres.create_database(f"layout_{uuid.uuid4().hex[:8]}")
    env = {
        **os.environ,
        "LOYALPASS_DATABASE_URL": url,
        "LOYALPASS_PUBLIC_URL": "https://cards.example.com",
        "LOYALPASS_APPLE_PASS_TYPE_ID": DEV_PASS_TYPE_ID,
        "LOYALPASS_APPLE_CERT_FILE": str(pki_dir / "apple" / "pass.pem"),
        "LOYALPASS_APPLE_KEY_FILE": str(pki_dir / "apple" / "pass.key"),
        "LOYALPASS_APPLE_WWDR_FILE": str(pki_dir / "apple" / "wwdr.pem"),
        "LOYALPASS_APNS_URL": fake.url,
        "LOYALPASS_APNS_CA_FILE": str(fake.ca_file),
        "LOYALPASS_APNS_ENABLED": "true",
        "LOYALPASS_APNS_BATCH_SIZE": str(BATCH),
        "LOYALPASS_APNS_LEASE_SECONDS": "2",
        "LOYALPASS_MIGRATE_ON_START": "false",
        "LOYALPASS_LOG_LEVEL": "WARNING",
        **{
            f"LOYALPASS_{loop}_IN_PROCESS": "false"
            for loop in ("APNS", "JOBS", "GOOGLE", "WEBPUSH", "WEBHOOKS", "MESSAGES")
        },
    }
    subprocess.run(loyalpass("migrate"), cwd=PROJECT_ROOT, env=env, check=True, timeout=120)
    running = Layout(env, tmp_path)
    engine = make_engine(url)
    try:
        yield running, engine
    finally:
        running.stop_all()
        engine.dispose()


@dataclass
class Load:
    """Clients buying at the API processes in ``urls`` until stopped; each purchase is
    retried (same Idempotency-Key and receipt) until the service acknowledges it."""

    urls: list[str]
    key: str
    members: list[str]
    acknowledged: dict[str, str] = field(default_factory=dict)  # receipt -> member
    last_sent: dict[str, float] = field(default_factory=dict)  # member -> monotonic time
    failures: list[str] = field(default_factory=list)
    retries: Counter[str] = field(default_factory=Counter)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, number: int) -> None:
        with requests.Session() as client:
            turn = number
            while not self.stopping.is_set():
                member = self.members[turn % len(self.members)]
                turn += CLIENTS
                self.buy(client, member, number)
                time.sleep(LOADED)

    def buy(self, client: requests.Session, member: str, number: int) -> None:
        receipt = f"R-{uuid.uuid4().hex[:16]}"
        headers = {"Authorization": f"Bearer {self.key}", "Idempotency-Key": receipt}
        body = {"kind": "purchase", "amount": "250", "currency": "RUB", "receipt_id": receipt}
        deadline = time.monotonic() + ATTEMPTS_FOR
        attempt = 0
        while time.monotonic() < deadline:
            url = self.urls[(number + attempt) % len(self.urls)]
            attempt += 1
            with self.lock:
                self.last_sent[member] = time.monotonic()
            try:
                answer = client.post(
                    f"{url}/api/v1/members/{member}/transactions",
                    json=body,
                    headers=headers,
                    timeout=10,
                )
            except requests.RequestException as exc:
                self.retries[type(exc).__name__] += 1
            else:
                if answer.status_code in (200, 201):
                    with self.lock:
                        self.acknowledged[receipt] = member
                    return
                if answer.status_code < 500:
                    self.failures.append(f"{answer.status_code} {answer.text[:300]}")
                    return
                self.retries[str(answer.status_code)] += 1
            time.sleep(0.2)
        self.failures.append(f"purchase {receipt} never acknowledged")


def set_up(layout: Layout, engine: Engine, url: str) -> tuple[str, list[str], dict[str, str]]:
    """A merchant, a program, members with an iPhone each; returns (key, member ids, the
    push token of each member's device)."""
    with Session(engine) as session, session.begin():
        _, key = merchant_service.create_merchant(session, name="Layout Coffee")
    headers = {"Authorization": f"Bearer {key}"}
    rules = {"currency": "RUB", "earn": {"points": 5, "per_amount": "100"}}
    body: dict[str, Any] = {"name": "Coffee Club", "kind": "points", "rules": rules}
    program = requests.post(f"{url}/api/v1/programs", json=body, headers=headers, timeout=30)
    assert program.status_code == 201, program.text
    members: list[str] = []
    tokens: dict[str, str] = {}
    for n in range(MEMBERS):
        joined = requests.post(
            f"{url}/api/v1/programs/{program.json()['id']}/members",
            json={"name": f"Client {n}", "phone": f"+7916555{n:04d}"},
            headers=headers,
            timeout=30,
        )
        assert joined.status_code == 201, joined.text
        members.append(joined.json()["id"])
    with Session(engine) as session, session.begin():
        cards = session.exec(select(Card)).all()
        for card in cards:
            token = uuid.uuid4().hex * 2
            device = uuid.uuid4()
            session.execute(
                insert(AppleDevice),
                [{"id": device, "device_library_identifier": f"d{card.id.hex}",
                  "push_token": token}],
            )  # fmt: skip
            session.execute(
                insert(AppleRegistration),
                [{"id": uuid.uuid4(), "merchant_id": card.merchant_id, "device_id": device,
                  "card_id": card.id}],
            )  # fmt: skip
            tokens[str(card.member_id)] = token
    return key, members, tokens


def stop_cleanly(process: subprocess.Popen[bytes], name: str, layout: Layout) -> None:
    """SIGTERM, then the process must end by itself. A worker exits 0 once its loops finish
    their round. An API process finishes its requests and its lifespan's shutdown, then
    uvicorn raises the signal it caught again, as a shell and systemd expect of a process
    stopped by a signal: it ends "killed by SIGTERM", which systemd counts as a clean stop."""
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=45)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name} did not stop within 45 s of SIGTERM: {layout.log(name)}")
    clean = (0, -signal.SIGTERM) if name.startswith("api") else (0,)
    assert code in clean, f"{name} exited with {code} on SIGTERM: {layout.log(name)}"


def until(condition: object, what: str, timeout: float = 90.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_two_apis_two_workers_survive_a_kill_a_restart_and_sigterm(
    layout: tuple[Layout, Engine], postgres: PostgresServer, fake: FakeApns
) -> None:
    running, engine = layout
    api_one, url_one = running.serve("api-1")
    api_two, url_two = running.serve("api-2")
    worker_a = running.start("worker-a", "worker", "--interval", "3600")
    worker_b = running.start("worker-b", "worker", "--interval", "3600")
    running.wait_ready("api-1", api_one, url_one)
    running.wait_ready("api-2", api_two, url_two)
    key, members, tokens = set_up(running, engine, url_one)
    fake.delay(0.05)  # answers take a little while: batches are in flight when things fail

    load = Load([url_one, url_two], key, members)
    clients = [threading.Thread(target=load.run, args=(n,)) for n in range(CLIENTS)]
    for client in clients:
        client.start()
    try:
        until(lambda: fake.count() >= 2 * BATCH, "no push reached the fake APNs")
        worker_a.send_signal(signal.SIGKILL)
        worker_a.wait(timeout=30)
        worker_c = running.start("worker-c", "worker", "--interval", "3600")
        acknowledged = len(load.acknowledged)
        until(lambda: len(load.acknowledged) >= acknowledged + 20, "no purchases after the kill")

        postgres.restart()
        restarted = len(load.acknowledged)
        until(
            lambda: len(load.acknowledged) >= restarted + 20,
            f"no purchase acknowledged after the restart: {load.failures[:3]}",
        )
        for url in (url_one, url_two):  # the pools reconnected: the service answers again
            assert requests.get(f"{url}/healthz", timeout=10).status_code == 200

        load.urls.remove(url_one)  # new purchases go to the other process; a client whose
        stop_cleanly(api_one, "api-1", running)  # answer is cut retries there
        stop_cleanly(worker_b, "worker-b", running)
        stopped = len(load.acknowledged)
        until(lambda: len(load.acknowledged) >= stopped + 20, "no purchases after SIGTERM")
    finally:
        load.stopping.set()
        for client in clients:
            client.join(timeout=ATTEMPTS_FOR + 15)
    assert not load.failures, load.failures[:5]
    assert worker_c.poll() is None, running.log("worker-c")

    # Every acknowledged purchase is in the ledger exactly once.
    with Session(engine) as session:
        receipts = Counter(
            session.exec(select(Transaction.receipt_id).where(Transaction.kind == "purchase")).all()
        )
    assert set(receipts) == set(load.acknowledged), "the ledger and the answers disagree"
    assert max(receipts.values()) == 1

    # Every card's last change reached its phone: a push after the last purchase was sent.
    def delivered() -> bool:
        with Session(engine) as session:
            pending = session.exec(select(func.count()).select_from(ApplePush)).one()
            unfanned = session.exec(
                select(func.count())
                .select_from(OutboxEvent)
                .where(OutboxEvent.apple_done_at.is_(None))  # type: ignore[union-attr]
            ).one()
        if pending or unfanned:
            return False
        last_push: dict[str, float] = {}
        for push in fake.received:
            if push.status == 200:
                last_push[push.token] = max(last_push.get(push.token, 0.0), push.at)
        return all(
            last_push.get(tokens[member], 0.0) >= sent for member, sent in load.last_sent.items()
        )

    until(delivered, "a card change never reached the fake APNs")
    # Pushes beyond one per change: only batches in flight when a worker died or PostgreSQL
    # restarted (two per worker at each: the one on the wire, the one being recorded), and
    # each device is in such a batch at most once per disruption (its enrolment's change may
    # also reach it, when the card was registered before its fan-out).
    changes = len(load.acknowledged)
    extra = fake.count() - changes
    assert extra <= 3 * 2 * BATCH, f"{extra} pushes more than changes"
    bought = Counter(load.acknowledged.values())
    pushed = Counter(push.token for push in fake.received)
    for member, token in tokens.items():
        assert pushed[token] <= bought[member] + 3, (member, pushed[token], bought[member])
    # Nothing is sent again once delivered: after two leases no push has come back due.
    delivered_count = fake.count()
    time.sleep(2 * 2)  # LOYALPASS_APNS_LEASE_SECONDS twice
    assert fake.count() == delivered_count, "a delivered push was sent again"

    stop_cleanly(api_two, "api-2", running)
    stop_cleanly(worker_c, "worker-c", running)
    assert load.retries, "nothing failed over: the disruptions were not exercised"
