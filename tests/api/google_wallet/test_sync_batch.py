"""The sync's bulk rounds (Google's batch endpoint) and its card-by-card pool, against the fake
Google, on both databases: one card Google refuses leaves the others synced; every call takes
its place in the limiter; never more than ``concurrency`` calls at once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import utcnow
from api.google_wallet.models import GoogleObject
from api.google_wallet.sync import GoogleSync
from api.outbox import service as outbox_service
from api.outbox.models import OutboxEvent
from tests.support.factories import POINTS_RULES, enrol, new_merchant, new_program, purchase
from tests.support.fake_google import FakeGoogle
from tests.support.server import google_fixtures

ISSUER = "3388000000012345678"

google, google_app, client, app = google_fixtures(ISSUER)


def cards(app: FastAPI, client: TestClient, count: int) -> tuple[str, list[dict[str, Any]]]:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    members = [enrol(client, key, program["id"], phone=f"+7916000{i:04d}") for i in range(count)]
    return key, members


def card_id(app: FastAPI, member: dict[str, Any]) -> UUID:
    from api.members.models import Card

    with Session(app.state.engine) as session:
        return session.exec(select(Card.id).where(Card.member_id == UUID(member["id"]))).one()


def object_id(app: FastAPI, member: dict[str, Any]) -> str:
    return f"{ISSUER}.lp-card-{card_id(app, member).hex}"


def pending(app: FastAPI, member: dict[str, Any]) -> int:
    with Session(app.state.engine) as session:
        rows = session.exec(
            select(OutboxEvent).where(
                OutboxEvent.card_id == card_id(app, member),
                col(OutboxEvent.google_done_at).is_(None),
            )
        ).all()
    return len(rows)


def balance(google: FakeGoogle, app: FastAPI, member: dict[str, Any]) -> Any:
    stored = google.get_object(object_id(app, member))
    assert stored is not None
    return stored["loyaltyPoints"]["balance"]


@pytest.fixture
def syncer(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> GoogleSync:
    sync: GoogleSync = app.state.google_sync
    monkeypatch.setattr(sync, "batch_min", 3)
    return sync


class TestBulkRounds:
    def test_a_bulk_round_goes_through_the_batch_endpoint(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, syncer: GoogleSync
    ) -> None:
        key, members = cards(app, client, 6)
        report = syncer.run_once()
        assert (report.cards, report.synced, report.failed) == (6, 6, 0)
        for member in members:
            purchase(client, key, member["id"], "200")
        report = syncer.run_once()
        assert (report.synced, report.notified) == (6, 6)
        assert google.batches  # the objects went in batches
        assert max(google.batches) <= 4  # the default pace: 4 calls a batch at most
        assert all(balance(google, app, m) == {"int": 10} for m in members)
        assert all(pending(app, m) == 0 for m in members)
        assert all(len(google.notifications(object_id(app, m))) == 1 for m in members)
        assert google.errors == []

    def test_one_card_google_refuses_leaves_the_others_synced_and_is_retried(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, syncer: GoogleSync
    ) -> None:
        key, members = cards(app, client, 5)
        syncer.run_once()
        for member in members:
            purchase(client, key, member["id"], "100")
        refused = members[2]
        # in the batch, then again when it is sent alone
        google.inject_error(400, "invalidResource", times=2, match=object_id(app, refused))
        report = syncer.run_once()
        assert (report.cards, report.synced, report.failed) == (5, 4, 1)
        for member in members:
            if member is not refused:
                assert balance(google, app, member) == {"int": 5}
                assert pending(app, member) == 0
        assert balance(google, app, refused) == {"int": 0}
        assert pending(app, refused) == 1  # kept, never dropped
        with Session(app.state.engine) as session:
            state = session.get_one(GoogleObject, card_id(app, refused))
        assert state.failures == 1
        assert state.retry_at is not None
        assert state.lease_until is None
        assert state.last_error is not None
        assert state.last_error.startswith("400 invalidResource")

    def test_a_call_the_batch_did_not_take_is_sent_again_alone(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, syncer: GoogleSync
    ) -> None:
        key, members = cards(app, client, 4)
        syncer.run_once()
        for member in members:
            purchase(client, key, member["id"], "100")
        google.inject_error(503, times=1, match=object_id(app, members[0]))  # a hiccup
        report = syncer.run_once()
        assert (report.synced, report.failed) == (4, 0)
        assert balance(google, app, members[0]) == {"int": 5}

    def test_a_design_change_only_the_class_shows_patches_no_object(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, syncer: GoogleSync
    ) -> None:
        _, members = cards(app, client, 4)
        syncer.run_once()
        before = len(google.api_requests)
        with Session(app.state.engine) as session, session.begin():
            outbox_service.mark_cards_changed(
                session, [UUID(m["id"]) for m in members], kind="design", now=utcnow()
            )
        report = syncer.run_once()
        assert (report.synced, report.notified) == (4, 0)
        assert len(google.api_requests) == before  # same bodies: nothing to send


class CountingPace:
    """The client's limiter, counting the places taken."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.places = 0
        self._lock = threading.Lock()

    def wait(self) -> None:
        self.inner.wait()
        with self._lock:
            self.places += 1


class TestConcurrency:
    def test_every_call_takes_a_place_and_no_more_than_four_are_in_flight(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, syncer: GoogleSync,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        monkeypatch.setattr(syncer, "batch_min", 0)  # card by card, 4 at once
        key, members = cards(app, client, 8)
        syncer.run_once()
        for member in members:
            purchase(client, key, member["id"], "100")
        wallet_client = syncer.wallet.client
        pace = CountingPace(wallet_client.limiter)
        monkeypatch.setattr(wallet_client, "limiter", pace)
        in_flight, busiest, lock = [0], [0], threading.Lock()
        request = wallet_client.session.request

        def counted(*args: Any, **kwargs: Any) -> Any:
            with lock:
                in_flight[0] += 1
                busiest[0] = max(busiest[0], in_flight[0])
            try:
                return request(*args, **kwargs)
            finally:
                with lock:
                    in_flight[0] -= 1

        monkeypatch.setattr(wallet_client.session, "request", counted)
        monkeypatch.setattr(google, "latency", 0.02)
        before = len(google.api_requests)
        report = syncer.run_once()
        assert (report.synced, report.failed) == (8, 0)
        assert len(google.api_requests) - before == pace.places == 8
        assert busiest[0] <= syncer.concurrency == 4
        assert google.batches == []

    def test_in_a_batch_every_call_takes_a_place(
        self, app: FastAPI, client: TestClient, google: FakeGoogle, syncer: GoogleSync,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        key, members = cards(app, client, 6)
        syncer.run_once()
        for member in members:
            purchase(client, key, member["id"], "100")
        pace = CountingPace(syncer.wallet.client.limiter)
        monkeypatch.setattr(syncer.wallet.client, "limiter", pace)
        before, batches = len(google.api_requests), len(google.batches)
        assert syncer.run_once().synced == 6
        assert len(google.api_requests) - before == pace.places == 6
        assert sum(google.batches[batches:]) == 6


class TestLeases:
    def test_a_round_longer_than_half_the_lease_holds_its_cards_longer(
        self, app: FastAPI, client: TestClient, syncer: GoogleSync,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        _, members = cards(app, client, 6)
        monkeypatch.setattr(syncer, "lease", timedelta(seconds=1))  # 12 calls at 15/s: 0.8 s
        held: list[datetime | None] = []
        send = syncer._send

        def watching(pushes: Any) -> None:
            with Session(app.state.engine) as session:
                rows = session.exec(select(GoogleObject.lease_until)).all()
            held.extend(rows)
            send(pushes)

        monkeypatch.setattr(syncer, "_send", watching)
        started = utcnow()
        assert syncer.run_once().synced == 6
        assert len(held) == 6
        assert all(h is not None and h > started + timedelta(seconds=2) for h in held)
