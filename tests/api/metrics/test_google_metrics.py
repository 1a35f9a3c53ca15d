"""/metrics with Google Wallet on: Google's answers by status, its notifications, the
Google sender's outbox lag and pending cards, against the fake Google."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.google_wallet.test_sync import (
    app,
    client,
    google,
    google_app,
    member_with_card,
    sync,
)
from tests.api.metrics.test_metrics import scrape, value
from tests.support.factories import purchase
from tests.support.fake_google import FakeGoogle

__all__ = ["app", "client", "google", "google_app"]  # the fixtures of the sync tests


def test_google_answers_and_pending_cards(
    app: FastAPI, client: TestClient, google: FakeGoogle
) -> None:
    before = scrape(client)
    key, member = member_with_card(app, client)
    sync(app).run_once()
    synced = scrape(client)
    assert value(synced, "loyalpass_google_answers_total", status="200") > value(
        before, "loyalpass_google_answers_total", status="200"
    )
    assert value(synced, "loyalpass_pushes_pending", channel="google") == 0
    assert value(synced, "loyalpass_outbox_lag_seconds", channel="google") == 0

    google.inject_error(503, times=10**6)
    purchase(client, key, member["id"], "300")
    sync(app).run_once()
    down = scrape(client)
    assert value(down, "loyalpass_google_answers_total", status="503") >= 1 + value(
        synced, "loyalpass_google_answers_total", status="503"
    )
    assert value(down, "loyalpass_pushes_pending", channel="google") == 1
    assert value(down, "loyalpass_outbox_lag_seconds", channel="google") > 0
    assert ("loyalpass_google_notifications_24h", frozenset()) in down
