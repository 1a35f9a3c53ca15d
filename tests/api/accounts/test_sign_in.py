"""Signing in to the console with an account: roles map onto the console, guessing is
limited and locked out (exactly, under concurrency on PostgreSQL), an unknown email costs a
password check against the dummy hash, and a second factor is asked for when turned on."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.accounts import passwords, totp
from api.accounts import repository as account_repository
from api.accounts import service as account_service
from api.accounts.errors import AccountSignInFailed, AccountSignInLocked, SecondFactorFailed
from api.accounts.models import AccountRole
from api.clock import utcnow
from api.settings import Settings
from tests.api.accounts.conftest import PASSWORD, Shop, sign_in
from tests.support.burst import at_once
from tests.support.server import running_server

pytestmark = pytest.mark.db


class CountedChecks:
    """Counts the passwords checked (``passwords.is_password``), and against which hash."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hashes: list[str] = []
        self._lock = threading.Lock()
        check: Callable[[str, str], bool] = passwords.is_password

        def counted(password: str, stored: str) -> bool:
            result = check(password, stored)
            with self._lock:
                self.hashes.append(stored)
            return result

        monkeypatch.setattr(passwords, "is_password", counted)

    @property
    def count(self) -> int:
        return len(self.hashes)


def attempt(engine: Engine, email: str, password: str, client: str, code: str = "") -> str:
    """One sign-in through the service, committed like the route does."""
    with Session(engine) as session, session.begin():
        try:
            account_service.sign_in(session, email, password, code=code, client=client,
                                    now=utcnow())  # fmt: skip
        except AccountSignInLocked:
            return "locked"
        except SecondFactorFailed:
            return "code"
        except AccountSignInFailed:
            return "failed"
        return "ok"


class TestSignIn:
    def test_the_owner_signs_in_and_edits(self, client: TestClient, shop: Shop) -> None:
        assert sign_in(client, shop.email.upper(), PASSWORD) == 303
        home = client.get("/console")
        assert home.status_code == 200
        assert 'href="/console/account"' in home.text
        assert "can only read" not in home.text
        account = client.get("/console/account")
        assert shop.email in account.text
        assert client.post("/console/sign-out", follow_redirects=False).status_code == 303
        assert "f-email" in client.get("/console").text  # the sign-in form again

    def test_wrong_password_and_unknown_email_answer_alike(
        self, client: TestClient, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        checks = CountedChecks(monkeypatch)
        wrong = client.post("/console/sign-in", data={"email": shop.email, "password": "nope" * 3})
        unknown = client.post(
            "/console/sign-in", data={"email": "nobody@example.com", "password": "nope" * 3}
        )
        assert wrong.status_code == unknown.status_code == 401
        assert "Wrong email or password" in wrong.text
        assert "Wrong email or password" in unknown.text
        # The unknown email was checked too, against the dummy hash: the same work.
        assert checks.count == 2
        assert checks.hashes[1] == passwords.DUMMY_HASH
        assert checks.hashes[0] != passwords.DUMMY_HASH

    def test_an_api_key_still_signs_in(self, client: TestClient, shop: Shop) -> None:
        response = client.post("/console/sign-in", data={"api_key": shop.key},
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 303
        assert client.get("/console").status_code == 200
        # an API-key session has no account page
        assert client.get("/console/account", follow_redirects=False).status_code == 303

    def test_an_analyst_only_reads(self, app: FastAPI, client: TestClient, shop: Shop) -> None:
        with Session(app.state.engine) as session, session.begin():
            account_service.create_account(session, shop.merchant_id, email="ann@example.com",
                                           password=PASSWORD, role=AccountRole.analyst)  # fmt: skip
        assert sign_in(client, "ann@example.com", PASSWORD) == 303
        assert "can only read" in client.get("/console").text
        assert client.get("/console/account/people").status_code == 403

    def test_a_removed_account_cannot_sign_in(
        self, app: FastAPI, client: TestClient, shop: Shop
    ) -> None:
        with Session(app.state.engine) as session, session.begin():
            account = account_repository.by_email(session, shop.email)
            assert account is not None
            account.is_active = False
            session.add(account)
        assert sign_in(client, shop.email, PASSWORD) == 401


class TestLockout:
    def test_five_wrong_passwords_lock_this_address_only(self, engine: Engine, shop: Shop) -> None:
        outcomes = [attempt(engine, shop.email, "wrong password", "203.0.113.7") for _ in range(6)]
        assert outcomes == ["failed"] * 4 + ["locked"] * 2
        assert attempt(engine, shop.email, PASSWORD, "203.0.113.7") == "locked"
        assert attempt(engine, shop.email, PASSWORD, "198.51.100.20") == "ok"

    def test_the_account_locks_after_guesses_from_many_addresses(
        self, engine: Engine, shop: Shop
    ) -> None:
        outcomes = [
            attempt(engine, shop.email, "wrong password", f"10.0.{i}.1")
            for i in range(account_service.ACCOUNT_ATTEMPTS)
        ]
        assert outcomes[-1] == "locked"
        assert attempt(engine, shop.email, PASSWORD, "10.9.9.9") == "locked"
        with Session(engine) as session:
            account = account_repository.by_email(session, shop.email)
            assert account is not None
            assert account.locked_until is not None
            assert account.locked_until > utcnow() + timedelta(minutes=14)

    def test_an_unknown_email_locks_like_an_account(self, engine: Engine, shop: Shop) -> None:
        """Lockouts do not tell which emails have accounts."""
        for email in (shop.email, "nobody@example.com"):
            outcomes = [
                attempt(engine, email, "wrong password", f"10.3.{i}.1")
                for i in range(account_service.ACCOUNT_ATTEMPTS)
            ]
            assert outcomes == ["failed"] * (account_service.ACCOUNT_ATTEMPTS - 1) + ["locked"]

    def test_the_locked_form_says_when_to_come_back(self, client: TestClient, shop: Shop) -> None:
        for _ in range(account_service.MAX_ATTEMPTS):
            client.post("/console/sign-in", data={"email": shop.email, "password": "x" * 12})
        locked = client.post("/console/sign-in", data={"email": shop.email, "password": PASSWORD})
        assert locked.status_code == 401
        assert locked.headers["Retry-After"].isdigit()
        assert "Too many wrong passwords" in locked.text


def skip_unless_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")


class TestParallelGuessing:
    def test_forty_parallel_guesses_check_exactly_five_passwords(
        self, engine: Engine, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """40 wrong passwords at once from one address: exactly ``MAX_ATTEMPTS`` are
        checked, the rest are refused before any check; then even the right one waits."""
        skip_unless_postgresql(engine)
        checks = CountedChecks(monkeypatch)
        barrier = threading.Barrier(40)

        def guess(i: int) -> str:
            barrier.wait()
            return attempt(engine, shop.email, f"wrong password {i}", "203.0.113.9")

        with ThreadPoolExecutor(40) as pool:
            outcomes = Counter(pool.map(guess, range(40)))
        assert checks.count == account_service.MAX_ATTEMPTS
        assert outcomes["ok"] == 0
        assert outcomes["failed"] == account_service.MAX_ATTEMPTS - 1
        assert outcomes["locked"] == 40 - account_service.MAX_ATTEMPTS + 1
        assert attempt(engine, shop.email, PASSWORD, "203.0.113.9") == "locked"
        assert checks.count == account_service.MAX_ATTEMPTS

    def test_forty_addresses_lock_the_account_at_exactly_its_bound(
        self, engine: Engine, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """40 addresses guess at once: the account row is locked while its password is
        checked, so exactly ``ACCOUNT_ATTEMPTS`` are checked before the lockout."""
        skip_unless_postgresql(engine)
        checks = CountedChecks(monkeypatch)
        barrier = threading.Barrier(40)

        def guess(i: int) -> str:
            barrier.wait()
            return attempt(engine, shop.email, f"wrong password {i}", f"10.1.{i}.1")

        with ThreadPoolExecutor(40) as pool:
            outcomes = Counter(pool.map(guess, range(40)))
        assert checks.count == account_service.ACCOUNT_ATTEMPTS
        assert outcomes["ok"] == 0
        assert outcomes["failed"] == account_service.ACCOUNT_ATTEMPTS - 1
        assert attempt(engine, shop.email, PASSWORD, "10.9.9.9") == "locked"


class TestParallelGuessingOverHttp:
    def test_forty_parallel_form_posts_check_exactly_five_passwords(
        self, engine: Engine, settings: Settings, shop: Shop, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The sign-in form itself, 40 wrong passwords at once from one address: every answer
        is a 401 and exactly ``MAX_ATTEMPTS`` passwords are checked and counted."""
        skip_unless_postgresql(engine)
        checks = CountedChecks(monkeypatch)
        body = {"email": shop.email, "password": "wrong password"}
        with running_server(settings) as base:
            assert httpx2.get(f"{base}/console").status_code == 200  # routes built first
            calls = [lambda http: http.post("/console/sign-in", data=body)] * 40
            responses = at_once(base, calls)
        assert Counter(r.status_code for r in responses) == {401: 40}
        assert checks.count == account_service.MAX_ATTEMPTS
        with Session(engine) as session:
            account = account_repository.by_email(session, shop.email)
            assert account is not None
            assert account.failed_attempts == account_service.MAX_ATTEMPTS


class TestSecondFactor:
    def test_turned_on_from_the_account_page_then_asked_for(
        self, client: TestClient, engine: Engine, shop: Shop
    ) -> None:
        assert sign_in(client, shop.email, PASSWORD) == 303
        started = client.post("/console/account/totp", data={"action": "start"})
        assert started.status_code == 200
        assert "<svg" in started.text
        secret = started.text.split('id="totp-secret">')[1].split("<")[0]
        bad = {"action": "confirm", "secret": secret, "code": "000000"}
        wrong = client.post("/console/account/totp", data=bad)
        assert wrong.status_code == 422
        code = totp.code_at(secret, utcnow())
        confirmed = client.post(
            "/console/account/totp", data={"action": "confirm", "secret": secret, "code": code},
            follow_redirects=False,
        )  # fmt: skip
        assert confirmed.status_code == 303
        assert 'id="totp-on"' in client.get("/console/account").text
        # Signing in now needs the code.
        assert attempt(engine, shop.email, PASSWORD, "192.0.2.1") == "code"
        assert attempt(engine, shop.email, PASSWORD, "192.0.2.1", code="123") == "code"
        code = totp.code_at(secret, utcnow())
        assert attempt(engine, shop.email, PASSWORD, "192.0.2.1", code=code) == "ok"
        # A code signs in once (RFC 6238, 5.2): a copied code is refused.
        assert attempt(engine, shop.email, PASSWORD, "192.0.2.2", code=code) == "code"
        fresh = TestClient(client.app, headers={"Accept-Language": "en"})
        missing = fresh.post("/console/sign-in", data={"email": shop.email, "password": PASSWORD})
        assert missing.status_code == 401
        assert "authenticator" in missing.text


class TestPasswordChange:
    def test_needs_the_current_password_and_ends_other_sessions(
        self, client: TestClient, shop: Shop
    ) -> None:
        other = TestClient(client.app, headers={"Accept-Language": "en"})
        assert sign_in(other, shop.email, PASSWORD) == 303
        assert sign_in(client, shop.email, PASSWORD) == 303
        new = "another long passphrase"
        wrong = client.post("/console/account/password", data={"current": "nope", "password": new})
        assert wrong.status_code == 422
        weak = client.post("/console/account/password",
                           data={"current": PASSWORD, "password": "short"})  # fmt: skip
        assert weak.status_code == 422
        done = client.post("/console/account/password", data={"current": PASSWORD, "password": new})
        assert done.status_code == 200
        assert "Password changed" in done.text
        assert client.get("/console/account").status_code == 200  # this session stays
        assert "f-email" in other.get("/console").text  # the other one ended
        assert sign_in(other, shop.email, new) == 303
