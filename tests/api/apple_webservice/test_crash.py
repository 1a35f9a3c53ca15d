"""A push worker killed in the middle of a fan-out to 1,000 devices: after a restart every
device gets its push, and only the pushes that were in flight (at most two batches) are sent
twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlmodel import Session, select

from api.apple_webservice.models import AppleDevice, ApplePush, AppleRegistration
from api.members.models import Card
from api.settings import DEV_PASS_TYPE_ID, Settings
from tests.conftest import PROJECT_ROOT
from tests.support.factories import POINTS_RULES, enrol, new_merchant, new_program, purchase
from tests.support.fake_apns import FakeApns

DEVICES = 1000
BATCH = 100


def register_devices(app: FastAPI, card_serial: str) -> list[str]:
    tokens = [uuid.uuid4().hex * 2 for _ in range(DEVICES)]
    with Session(app.state.engine) as session, session.begin():
        card = session.exec(select(Card).where(Card.serial_number == card_serial)).one()
        devices = [
            {"id": uuid.uuid4(), "device_library_identifier": f"dev{i}", "push_token": token}
            for i, token in enumerate(tokens)
        ]
        session.execute(insert(AppleDevice), devices)
        session.execute(
            insert(AppleRegistration),
            [{"id": uuid.uuid4(), "merchant_id": card.merchant_id, "device_id": d["id"],
              "card_id": card.id} for d in devices],
        )  # fmt: skip
    return tokens


def start_worker(settings: Settings, fake: FakeApns, pki_dir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LOYALPASS_DATABASE_URL": settings.database_url,
        "LOYALPASS_APPLE_CERT_FILE": str(pki_dir / "apple" / "pass.pem"),
        "LOYALPASS_APPLE_KEY_FILE": str(pki_dir / "apple" / "pass.key"),
        "LOYALPASS_APPLE_WWDR_FILE": str(pki_dir / "apple" / "wwdr.pem"),
        "LOYALPASS_APNS_URL": fake.url,
        "LOYALPASS_APNS_CA_FILE": str(fake.ca_file),
        "LOYALPASS_APNS_ENABLED": "true",
        "LOYALPASS_APNS_BATCH_SIZE": str(BATCH),
        "LOYALPASS_APNS_LEASE_SECONDS": "2",
        "LOYALPASS_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker", "--interval", "3600"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_worker_crash_mid_fan_out(
    app: FastAPI, client: TestClient, settings: Settings, pki_dir: Path
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    member = enrol(client, key, program["id"])
    tokens = register_devices(app, member["serial_number"])
    with FakeApns(topic=DEV_PASS_TYPE_ID, client_ca_file=pki_dir / "apple" / "root-ca.pem") as fake:
        fake.delay(0.3)  # slow answers keep a batch in flight long enough to kill the worker
        purchase(client, key, member["id"], "100")
        worker = start_worker(settings, fake, pki_dir)
        try:
            deadline = time.monotonic() + 120
            while fake.count() < 3 * BATCH:
                assert time.monotonic() < deadline, "the worker never got going"
                assert worker.poll() is None, "the worker died on its own"
                time.sleep(0.02)
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
        at_crash = fake.count()
        assert at_crash < DEVICES, "the fan-out finished before the crash: nothing was tested"

        fake.delay(0)
        worker = start_worker(settings, fake, pki_dir)
        try:
            deadline = time.monotonic() + 120
            while set(tokens) - set(fake.tokens_received()):
                assert time.monotonic() < deadline, "not every device got its push"
                time.sleep(0.1)
            while True:  # let the restarted worker record its last batch
                with Session(app.state.engine) as session:
                    if not session.exec(select(ApplePush)).all():
                        break
                assert time.monotonic() < deadline
                time.sleep(0.1)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
        # In flight at a crash: the batch on the wire, and the one sent just before whose
        # answers were being written (the pusher overlaps the two). Nothing else repeats.
        duplicates = fake.count() - DEVICES
        assert 0 <= duplicates <= 2 * BATCH, f"{duplicates} pushes were sent twice"
