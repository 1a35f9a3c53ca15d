"""Staff PIN sign-in under attack: the lockout holds under concurrency (PostgreSQL, real
HTTP), it is kept per code and client address, and an unknown code costs the time of a
known one."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.clock import utcnow
from api.merchants.service import authenticate
from api.settings import Settings
from api.staff import service as staff_service
from api.staff.errors import SignInFailed, SignInLocked
from api.stores.models import Store
from tests.support.factories import auth, new_merchant
from tests.support.server import running_server

pytestmark = pytest.mark.db
PIN = "4821"


@pytest.fixture
def code(app: FastAPI, client: TestClient) -> str:
    """A staff member's sign-in code (their PIN is ``PIN``)."""
    key = new_merchant(app)
    with Session(app.state.engine) as session, session.begin():
        caller = authenticate(session, f"Bearer {key}")
        store = Store(merchant_id=caller.merchant_id, name="Arbat", latitude=55.7, longitude=37.6)
        session.add(store)
        session.flush()
        store_id = str(store.id)
    body = {"name": "Olga", "store_id": store_id, "pin": PIN}
    response = client.post("/api/v1/staff", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


class CountedChecks:
    """Counts the PINs checked (``staff.service.is_pin`` calls); ``reached`` is set once
    ``at`` checks have finished."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, at: int) -> None:
        self.count = 0
        self.reached = threading.Event()
        self._at = at
        self._lock = threading.Lock()
        check: Callable[[str, str], bool] = staff_service.is_pin

        def counted(pin: str, stored: str) -> bool:
            result = check(pin, stored)
            with self._lock:
                self.count += 1
                if self.count >= self._at:
                    self.reached.set()
            return result

        monkeypatch.setattr(staff_service, "is_pin", counted)


def attempt(engine: Engine, code: str, pin: str, client: str) -> str:
    """One sign-in through the service, committed like the route does: ok, failed, locked."""
    with Session(engine) as session, session.begin():
        try:
            staff_service.sign_in(session, code, pin, client=client, now=utcnow())
        except SignInLocked:
            return "locked"
        except SignInFailed:
            return "failed"
        return "ok"


def skip_unless_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")


class TestParallelGuessing:
    def test_sixty_parallel_sign_ins_check_exactly_five_pins(
        self, app: FastAPI, settings: Settings, code: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """59 wrong PINs at once over real HTTP, then the right one once five were checked:
        exactly five PINs are ever checked and the right one is refused."""
        skip_unless_postgresql(app.state.engine)
        checks = CountedChecks(monkeypatch, at=staff_service.MAX_ATTEMPTS)
        statuses: Counter[int] = Counter()
        local = threading.local()
        clients: list[httpx2.Client] = []
        lock = threading.Lock()

        def post(base: str, pin: str) -> httpx2.Response:
            if not hasattr(local, "http"):
                local.http = httpx2.Client(base_url=base, timeout=60)
                with lock:
                    clients.append(local.http)
            http: httpx2.Client = local.http
            response = http.post("/scan/sign-in", data={"code": code, "pin": pin})
            with lock:
                statuses[response.status_code] += 1
            return response

        with running_server(settings) as base, ThreadPoolExecutor(60) as pool:
            assert httpx2.get(f"{base}/scan").status_code == 200  # routes built before the race
            wrong = [pool.submit(post, base, f"{1000 + i}") for i in range(59)]
            assert checks.reached.wait(60)
            right = pool.submit(post, base, PIN).result()
            for future in wrong:
                future.result()
        for http in clients:
            http.close()
        assert checks.count == staff_service.MAX_ATTEMPTS
        assert right.status_code == 401
        assert right.headers["Retry-After"].isdigit()
        assert statuses == {401: 60}

    def test_guesses_from_many_addresses_lock_the_code_at_its_bound(
        self, engine: Engine, code: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """60 addresses guess one code at once: exactly ``CODE_ATTEMPTS`` PINs are checked
        (the staff row is locked while its PIN is checked), then even the right PIN waits."""
        skip_unless_postgresql(engine)
        checks = CountedChecks(monkeypatch, at=staff_service.CODE_ATTEMPTS)
        barrier = threading.Barrier(60)

        def guess(i: int) -> str:
            barrier.wait()
            return attempt(engine, code, f"{1000 + i}", f"10.0.{i}.1")

        with ThreadPoolExecutor(60) as pool:
            outcomes = Counter(pool.map(guess, range(60)))
        assert checks.count == staff_service.CODE_ATTEMPTS
        assert outcomes["ok"] == 0
        assert attempt(engine, code, PIN, "10.9.9.9") == "locked"
        assert checks.count == staff_service.CODE_ATTEMPTS


class TestLockoutKeys:
    def test_a_guesser_elsewhere_does_not_lock_out_the_till(
        self, engine: Engine, code: str
    ) -> None:
        outcomes = [attempt(engine, code, "0000", "203.0.113.7") for _ in range(6)]
        assert outcomes == ["failed"] * 4 + ["locked"] * 2
        assert attempt(engine, code, PIN, "203.0.113.7") == "locked"
        assert attempt(engine, code, PIN, "198.51.100.20") == "ok"  # the shop's address

    def test_one_address_guessing_many_codes_is_stopped(self, engine: Engine, code: str) -> None:
        guesses = [f"ZZZZ{i:02d}" for i in range(staff_service.ADDRESS_ATTEMPTS)]
        outcomes = [attempt(engine, other, "0000", "203.0.113.7") for other in guesses]
        assert outcomes[:-1] == ["failed"] * (len(guesses) - 1)
        assert outcomes[-1] == "locked"
        assert attempt(engine, code, PIN, "203.0.113.7") == "locked"  # a code it never tried
        assert attempt(engine, code, PIN, "198.51.100.20") == "ok"

    def test_a_right_pin_clears_the_wrong_ones_before_it(self, engine: Engine, code: str) -> None:
        for _ in range(4):
            assert attempt(engine, code, "0000", "198.51.100.20") == "failed"
        assert attempt(engine, code, PIN, "198.51.100.20") == "ok"
        for _ in range(4):
            assert attempt(engine, code, "0000", "198.51.100.20") == "failed"


class TestTiming:
    def test_an_unknown_code_takes_as_long_as_a_known_one(
        self, client: TestClient, code: str
    ) -> None:
        """Medians of four tries each, interleaved; before, an unknown code answered without
        hashing, many times faster than a known code's scrypt check."""

        def took(form: dict[str, Any]) -> float:
            start = time.perf_counter()
            response = client.post("/scan/sign-in", data=form, follow_redirects=False)
            assert response.status_code == 401
            return time.perf_counter() - start

        known, unknown = [], []
        for _ in range(4):
            known.append(took({"code": code, "pin": "0000"}))
            unknown.append(took({"code": "ZZZZZZ", "pin": "0000"}))
        ratio = statistics.median(known) / statistics.median(unknown)
        assert 1 / 3 < ratio < 3, (known, unknown)
