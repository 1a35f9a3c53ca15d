"""Nothing silently dropped (Apple): an APNs outage longer than the retry budget, and a
certificate APNs refuses, against the HTTP/2 fake of APNs, on both databases."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.apple_webservice import tasks as apple_tasks
from api.apple_webservice.models import ApplePush
from api.apple_webservice.pusher import ApplePusher
from api.apple_webservice.sender import ApnsSender
from api.cli import app as cli
from api.clock import utcnow
from api.jobs import service as jobs
from api.settings import Settings
from tests.api.apple_webservice.test_web_service import TOKEN_A, TOKEN_B, Wallet, card, fake_apns
from tests.conftest import OPERATOR_TOKEN
from tests.support.factories import auth, enrol, purchase
from tests.support.fake_apns import FakeApns

__all__ = ["fake_apns"]  # the module's fake APNs, shared with the web service tests


@pytest.fixture
def sender(app: FastAPI, settings: Settings, fake_apns: FakeApns) -> Iterator[ApnsSender]:
    fake_apns.reset()
    apns = settings.model_copy(
        update={"apns_url": fake_apns.url, "apns_ca_file": fake_apns.ca_file}
    )
    sender = ApnsSender.from_settings(apns, app.state.apple_wallet.pass_type_identifier)
    yield sender
    sender.close()


@pytest.fixture
def pusher(app: FastAPI, sender: ApnsSender) -> ApplePusher:
    return ApplePusher(app.state.engine, sender.send, batch_size=50, credential=sender.credential)


def pushes(app: FastAPI) -> list[ApplePush]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(ApplePush)).all())


def health(client: TestClient) -> dict[str, Any]:
    """What the operator sees (GET /api/v1/operator/status)."""
    response = client.get("/api/v1/operator/status", headers=auth(OPERATOR_TOKEN))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def console_home(client: TestClient, key: str) -> str:
    signed_in = client.post(
        "/console/sign-in",
        data={"api_key": key},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert signed_in.status_code in (200, 303), signed_in.text
    return client.get("/console").text


def hours_after(start: datetime, hours: float) -> Callable[[], datetime]:
    return lambda: start + timedelta(hours=hours)


def outage_past_the_budget(pusher: ApplePusher, start: datetime) -> None:
    """APNs answers 503 for longer than the retry budget (12 attempts, about 68 minutes)."""
    for hour in range(pusher.max_attempts + 2):
        pusher.run_once(hours_after(start, hour))


class TestOutageLongerThanTheBudget:
    def test_the_push_is_kept_stale_and_the_operator_is_alerted(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns,
        caplog: pytest.LogCaptureFixture,
    ) -> None:  # fmt: skip
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(TOKEN_A, 503, "ServiceUnavailable")
        purchase(client, key, member["id"], "100")
        with caplog.at_level(logging.INFO):
            outage_past_the_budget(pusher, utcnow())
        [push] = pushes(app)  # never deleted undelivered
        assert push.attempts >= pusher.max_attempts
        assert push.stale_at is not None
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert any("marked stale" in r.getMessage() for r in errors)
        body = health(client)
        assert body["status"] == "degraded"
        assert body["deliveries"]["apns"]["state"] == "stale"
        assert body["deliveries"]["apns"]["stale"] == 1
        assert 'id="delivery-apns"' in console_home(client, key)

    def test_apns_unreachable_past_the_budget_keeps_the_push_stale(
        self, app: FastAPI, client: TestClient, settings: Settings
    ) -> None:
        unreachable = settings.model_copy(update={"apns_url": "https://127.0.0.1:9"})
        sender = ApnsSender.from_settings(unreachable, app.state.apple_wallet.pass_type_identifier)
        pusher = ApplePusher(app.state.engine, sender.send, credential=sender.credential)
        try:
            key, member, wallet = card(app, client)
            wallet.register(TOKEN_A)
            purchase(client, key, member["id"], "100")
            outage_past_the_budget(pusher, utcnow())
        finally:
            sender.close()
        [push] = pushes(app)
        assert push.stale_at is not None
        apns = health(client)["deliveries"]["apns"]
        assert (apns["state"], apns["reason"]) == ("stale", "0 cannot connect")

    def test_other_merchants_see_no_banner(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns
    ) -> None:
        key, member, wallet = card(app, client)
        other_key, _, _ = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(TOKEN_A, 503, "ServiceUnavailable")
        purchase(client, key, member["id"], "100")
        outage_past_the_budget(pusher, utcnow())
        assert 'id="delivery-apns"' in console_home(client, key)
        assert "delivery-apns" not in console_home(TestClient(app), other_key)

    def test_apns_back_the_job_repushes_the_stale_push_and_clears_the_alert(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns
    ) -> None:
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(TOKEN_A, 503, "ServiceUnavailable")
        purchase(client, key, member["id"], "100")
        start = utcnow()
        outage_past_the_budget(pusher, start)
        after = start + timedelta(hours=pusher.max_attempts + 1, minutes=5)
        fake_apns.unscript(TOKEN_A)  # APNs is back
        # Nothing has told us yet: the stale push waits up to an hour for its own retry.
        assert jobs.run_all(app.state.engine, now=after).stale_released == 0
        other = enrol(client, key, member["program_id"], phone="+79160000077")
        Wallet(client, client.get(other["apple_pass_url"]).content, "devicelib2").register(TOKEN_B)
        purchase(client, key, other["id"], "100")
        assert pusher.run_once(lambda: after).delivered == 1  # APNs answers again
        assert jobs.run_all(app.state.engine, now=after).stale_released == 1
        assert pusher.run_once(lambda: after).delivered == 1
        assert fake_apns.count(TOKEN_A, status=200) == 1
        assert pushes(app) == []
        assert health(client)["status"] == "ok"
        assert "delivery-apns" not in console_home(client, key)


class TestRejectedPush:
    def test_a_push_apns_rejects_is_kept_stale_not_deleted(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns,
        caplog: pytest.LogCaptureFixture,
    ) -> None:  # fmt: skip
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(TOKEN_A, 413, "PayloadTooLarge", times=1)
        purchase(client, key, member["id"], "100")
        with caplog.at_level(logging.INFO):
            assert pusher.run_once().stale == 1
        assert any(r.levelno == logging.ERROR for r in caplog.records)
        [push] = pushes(app)
        assert push.stale_at is not None
        assert health(client)["deliveries"]["apns"]["state"] == "stale"
        assert pusher.run_once(lambda: utcnow() + timedelta(hours=2)).delivered == 1
        assert pushes(app) == []


class TestRefusedCertificate:
    def test_a_403_stops_the_certificate_without_burning_retries(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns,
        caplog: pytest.LogCaptureFixture,
    ) -> None:  # fmt: skip
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(None, 403, "BadCertificate")
        purchase(client, key, member["id"], "100")
        start = utcnow()
        with caplog.at_level(logging.INFO):
            assert pusher.run_once(lambda: start).refused == 1
        assert any(
            r.levelno == logging.ERROR and "refused our credential" in r.getMessage()
            for r in caplog.records
        )
        purchase(client, key, member["id"], "100")
        for hour in range(1, 30):
            assert pusher.run_once(hours_after(start, hour)).held
            assert not pusher.has_work()
        assert fake_apns.count() == 1  # no more attempts with the refused certificate
        [push] = pushes(app)
        assert push.attempts == 0  # no retry burned
        assert push.stale_at is not None
        body = health(client)
        assert body["status"] == "degraded"
        apns = body["deliveries"]["apns"]
        assert apns["state"] == "blocked"
        assert apns["reason"] == "403 BadCertificate"
        assert 'id="delivery-apns"' in console_home(client, key)

    def test_a_replaced_certificate_resumes(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, sender: ApnsSender,
        fake_apns: FakeApns,
    ) -> None:  # fmt: skip
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(None, 403, "BadCertificate", times=1)
        purchase(client, key, member["id"], "100")
        pusher.run_once()
        assert pusher.run_once().held
        renewed = ApplePusher(app.state.engine, sender.send, credential="a-new-certificate")
        assert renewed.has_work()
        assert renewed.run_once().delivered == 1
        assert pushes(app) == []
        assert health(client)["status"] == "ok"

    def test_an_operator_retry_resumes(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher, fake_apns: FakeApns,
        settings: Settings, monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        fake_apns.script(None, 403, "BadCertificate", times=1)
        purchase(client, key, member["id"], "100")
        pusher.run_once()
        assert pusher.run_once().held
        monkeypatch.setenv("LOYALPASS_DATABASE_URL", settings.database_url)
        result = CliRunner().invoke(cli, ["deliveries", "retry"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output.splitlines()[-1])["apns_unblocked"] is True
        assert not apple_tasks.retry_refused(app.state.engine, now=utcnow())  # lifted already
        assert pusher.run_once().delivered == 1
        assert pushes(app) == []
        assert health(client)["status"] == "ok"
