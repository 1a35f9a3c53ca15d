"""/metrics: only with the operator's token, and after a purchase and a push it shows the
series an operator graphs (requests by route template, purchases, enrolments, APNs answers,
the outbox lag, pending pushes, the pool, certificate expiry), with sensible values."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.apple_webservice.pusher import ApplePusher
from api.apple_webservice.sender import ApnsSender
from api.main import create_app
from api.settings import Settings
from tests.api.apple_webservice.test_web_service import TOKEN_A, card, fake_apns
from tests.conftest import OPERATOR_TOKEN, make_settings
from tests.support.factories import auth, purchase
from tests.support.fake_apns import FakeApns

__all__ = ["fake_apns"]

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics", headers=auth(OPERATOR_TOKEN))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def pusher(app: FastAPI, settings: Settings, fake_apns: FakeApns) -> Iterator[ApplePusher]:
    fake_apns.reset()
    apns = settings.model_copy(
        update={"apns_url": fake_apns.url, "apns_ca_file": fake_apns.ca_file}
    )
    sender = ApnsSender.from_settings(apns, app.state.apple_wallet.pass_type_identifier)
    yield ApplePusher(app.state.engine, sender.send, credential=sender.credential)
    sender.close()


class TestAccess:
    def test_404_while_no_token_is_set(
        self, app: FastAPI, database_url: str, pki_dir: Path
    ) -> None:
        settings = make_settings(database_url, pki_dir, metrics_token=None, migrate_on_start=False)
        with TestClient(create_app(settings)) as client:
            response = client.get("/metrics", headers=auth(OPERATOR_TOKEN))
        assert response.status_code == 404
        assert response.json()["type"] == "metrics_off"

    @pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {OPERATOR_TOKEN}"])
    def test_401_without_the_token(self, client: TestClient, header: str | None) -> None:
        headers = {"Authorization": header} if header else {}
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    def test_a_merchants_api_key_is_not_the_token(self, app: FastAPI, client: TestClient) -> None:
        key, _, _ = card(app, client)
        assert client.get("/metrics", headers=auth(key)).status_code == 401


class TestAfterAPurchaseAndAPush:
    def test_the_series_are_there_with_sensible_values(
        self, app: FastAPI, client: TestClient, pusher: ApplePusher
    ) -> None:
        before = scrape(client)
        key, member, wallet = card(app, client)
        assert wallet.register(TOKEN_A).status_code == 201
        purchase(client, key, member["id"], "300")
        pusher.run_once()
        after = scrape(client)

        def grew(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert grew("loyalpass_purchases_total") == 1
        assert grew("loyalpass_enrolments_total") == 1
        assert grew("loyalpass_push_answers_total", channel="apple", status="200") >= 1
        route = "/api/v1/members/{member_id}/transactions"
        posted = {"method": "POST", "route": route}
        assert grew("loyalpass_http_requests_total", **posted, status="2xx") == 1
        assert grew("loyalpass_http_request_duration_seconds_count", **posted) == 1
        # the pusher took every change up: nothing waits, nothing failed
        assert value(after, "loyalpass_outbox_lag_seconds", channel="apple") == 0
        assert value(after, "loyalpass_pushes_pending", channel="apple") == 0
        assert value(after, "loyalpass_pushes_failed", channel="apple") == 0
        assert ("loyalpass_pushes_pending", frozenset({("channel", "webpush")})) in after
        assert value(after, "loyalpass_channel_blocked", channel="apns") == 0
        # the development certificate lasts a year, its WWDR longer
        year = 300 * 86400
        assert value(after, "loyalpass_certificate_expiry_seconds", which="pass") > year
        assert value(after, "loyalpass_certificate_expiry_seconds", which="wwdr") > year
        assert value(after, "loyalpass_db_pool_size") >= 0
        assert ("loyalpass_db_connections_in_use", frozenset()) in after
        assert ("loyalpass_google_notifications_24h", frozenset()) in after

    def test_labels_carry_route_templates_never_a_card_token(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member, _ = card(app, client)
        token = member["card_url"].rstrip("/").rsplit("/", 1)[-1]
        assert client.get(f"/cards/{token}").status_code == 200
        assert client.get(f"/no-such-page/{token}").status_code == 404
        text = client.get("/metrics", headers=auth(OPERATOR_TOKEN)).text
        assert token not in text
        assert member["id"] not in text
        assert 'route="/cards/{token}"' in text
        assert 'route="unmatched"' in text

    def test_outbox_lag_counts_from_the_oldest_waiting_change(
        self, app: FastAPI, client: TestClient
    ) -> None:
        key, member, wallet = card(app, client)
        wallet.register(TOKEN_A)
        purchase(client, key, member["id"], "300")  # no pusher runs: the change waits
        samples = scrape(client)
        assert value(samples, "loyalpass_outbox_lag_seconds", channel="apple") > 0
