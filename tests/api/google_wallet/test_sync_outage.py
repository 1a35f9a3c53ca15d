"""Nothing silently dropped (Google): an outage longer than the retry budget, and a key Google
refuses, against the fake Google, on both databases."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import utcnow
from api.google_wallet import tasks as google_tasks
from api.google_wallet.models import GoogleObject
from api.google_wallet.sync import GoogleSync
from api.jobs import service as jobs
from api.outbox.models import OutboxEvent
from tests.api.google_wallet.test_sync import (
    app,
    card_id_of,
    client,
    google,
    google_app,
    member_with_card,
    sync,
)
from tests.conftest import OPERATOR_TOKEN
from tests.support.factories import auth, enrol
from tests.support.fake_google import FakeGoogle

__all__ = ["app", "client", "google", "google_app"]  # the fixtures of the sync tests


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(sync(app), "clock", clock)
    return clock


def state(app: FastAPI, member: dict[str, Any]) -> GoogleObject:
    with Session(app.state.engine) as session:
        return session.exec(
            select(GoogleObject).where(GoogleObject.card_id == card_id_of(app, member))
        ).one()


def pending(app: FastAPI, member: dict[str, Any]) -> int:
    with Session(app.state.engine) as session:
        rows = session.exec(
            select(OutboxEvent).where(
                OutboxEvent.card_id == card_id_of(app, member),
                col(OutboxEvent.google_done_at).is_(None),
            )
        ).all()
    return len(rows)


def health(client: TestClient) -> dict[str, Any]:
    """What the operator sees (GET /api/v1/operator/status)."""
    response = client.get("/api/v1/operator/status", headers=auth(OPERATOR_TOKEN))
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def console_home(app: FastAPI, key: str) -> str:
    browser = TestClient(app)
    browser.post(
        "/console/sign-in",
        data={"api_key": key},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    return browser.get("/console").text


def outage_past_the_budget(syncer: GoogleSync, clock: Clock) -> None:
    for _ in range(syncer.stale_after + 1):
        syncer.run_once()
        clock.advance(hours=1)


class TestOutageLongerThanTheBudget:
    def test_the_changes_stay_pending_the_card_is_stale_and_the_operator_alerted(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, clock: Clock,
        caplog: pytest.LogCaptureFixture,
    ) -> None:  # fmt: skip
        key, member = member_with_card(app, client)
        google.inject_error(503, times=10**6)
        with caplog.at_level(logging.INFO):
            outage_past_the_budget(sync(app), clock)
        assert pending(app, member) >= 1  # never dropped
        assert state(app, member).stale_at is not None
        assert any(
            r.levelno == logging.ERROR and "marked stale" in r.getMessage() for r in caplog.records
        )
        body = health(client)
        assert body["status"] == "degraded"
        assert body["deliveries"]["google"]["state"] == "stale"
        assert body["deliveries"]["google"]["stale"] == 1
        assert 'id="delivery-google"' in console_home(app, key)

    def test_timeouts_past_the_budget_mark_the_card_stale_too(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, clock: Clock,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        _, member = member_with_card(app, client)
        monkeypatch.setattr(sync(app).wallet.client, "timeout", 0.05)
        monkeypatch.setattr(google, "latency", 0.2)
        outage_past_the_budget(sync(app), clock)
        assert pending(app, member) >= 1
        object_state = state(app, member)
        assert object_state.stale_at is not None
        assert object_state.last_error is not None
        assert object_state.last_error.startswith("0 unreachable")
        assert health(client)["deliveries"]["google"]["state"] == "stale"

    def test_google_back_the_job_resyncs_the_stale_card_and_clears_the_alert(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, clock: Clock
    ) -> None:
        key, member = member_with_card(app, client)
        google.inject_error(503, times=10**6)
        outage_past_the_budget(sync(app), clock)
        google.clear_injected()  # Google is back
        clock.advance(minutes=-55)  # the stale card's own retry is still most of an hour away
        assert jobs.run_all(app.state.engine, now=clock.now).stale_released == 0
        enrol(client, key, member["program_id"], phone="+79160000078")
        report = sync(app).run_once()
        assert (report.synced, report.failed) == (1, 0)  # Google answers again
        assert jobs.run_all(app.state.engine, now=clock.now).stale_released == 1
        assert sync(app).run_once().synced == 1
        assert pending(app, member) == 0
        assert state(app, member).stale_at is None
        assert health(client)["status"] == "ok"
        assert "delivery-google" not in console_home(app, key)


class TestRefusedKey:
    @pytest.mark.parametrize(("status", "reason"), [(403, "permissionDenied"), (401, "authError")])
    def test_a_refused_key_stops_the_sync_without_burning_retries(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, clock: Clock,
        caplog: pytest.LogCaptureFixture, status: int, reason: str,
    ) -> None:  # fmt: skip
        key, member = member_with_card(app, client)
        google.inject_error(status, reason, times=10**6)
        with caplog.at_level(logging.INFO):
            report = sync(app).run_once()
        assert report.refused
        assert any(
            r.levelno == logging.ERROR and "refused our credential" in r.getMessage()
            for r in caplog.records
        )
        tried = len(google.api_requests)
        enrol(client, key, member["program_id"], phone="+79160000079")
        for _ in range(10):
            clock.advance(hours=1)
            assert not sync(app).has_work()
            assert sync(app).run_once().held
        assert len(google.api_requests) == tried  # nothing more with the refused key
        assert state(app, member).failures == 0
        assert state(app, member).stale_at is not None
        body = health(client)
        assert body["status"] == "degraded"
        assert body["deliveries"]["google"]["state"] == "blocked"
        assert body["deliveries"]["google"]["reason"].startswith(str(status))
        assert 'id="delivery-google"' in console_home(app, key)

    def test_a_token_endpoint_refusing_the_key_stops_the_sync(
        self, app: FastAPI, client: TestClient, google: FakeGoogle,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        member_with_card(app, client)
        monkeypatch.setattr(sync(app).wallet.client.session.credentials, "token", None)
        google.inject_error(400, message="invalid_grant", times=10**6, match="POST /token")
        assert sync(app).run_once().refused
        assert sync(app).run_once().held
        body = health(client)
        assert body["deliveries"]["google"]["state"] == "blocked"
        assert body["deliveries"]["google"]["reason"].startswith("401 tokenRefused")

    def test_a_replaced_key_resumes(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, clock: Clock,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        _, member = member_with_card(app, client)
        google.inject_error(403, "permissionDenied", times=1)
        assert sync(app).run_once().refused
        assert sync(app).run_once().held
        monkeypatch.setattr(sync(app), "credential", "a-new-key")
        assert sync(app).has_work()
        assert sync(app).run_once().synced == 1
        assert pending(app, member) == 0
        assert health(client)["status"] == "ok"

    def test_an_operator_retry_resumes(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, clock: Clock
    ) -> None:
        _, member = member_with_card(app, client)
        google.inject_error(403, "permissionDenied", times=1)
        assert sync(app).run_once().refused
        assert sync(app).run_once().held
        assert google_tasks.retry_refused(app.state.engine, now=clock.now)
        assert sync(app).run_once().synced == 1
        assert pending(app, member) == 0
        assert health(client)["status"] == "ok"

    def test_a_save_click_does_not_try_the_refused_key_either(
        self, app: FastAPI, client: TestClient, google: FakeGoogle
    ) -> None:
        member_with_card(app, client)
        google.inject_error(403, "permissionDenied", times=1)
        assert sync(app).run_once().refused
        _, other = member_with_card(app, client)
        tried = len(google.api_requests)
        response = client.get(other["google_save_url"], follow_redirects=False)
        assert response.status_code == 503
        assert len(google.api_requests) == tried
