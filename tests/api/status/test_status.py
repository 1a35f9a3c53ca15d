"""The operator's status (GET /api/v1/operator/status and /console/status): who may read it,
what it says, and a pass certificate 10 days from expiry warned of in the console page, the
log (once a day) and the metric."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.clock import utcnow
from api.main import create_app
from api.merchants.models import Role
from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from api.status.certificates import WARNINGS
from passes import create_development_pki
from tests.conftest import OPERATOR_TOKEN, make_settings
from tests.support.factories import auth, new_key, new_merchant


def status(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/operator/status", headers=auth(OPERATOR_TOKEN))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def console(client: TestClient, key: str) -> TestClient:
    signed_in = client.post(
        "/console/sign-in", data={"api_key": key}, headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )  # fmt: skip
    assert signed_in.status_code in (200, 303), signed_in.text
    return client


class TestWhoMayRead:
    def test_the_operators_token(self, client: TestClient) -> None:
        body = status(client)
        assert body["status"] == "ok"
        assert body["warnings"] == []
        assert body["apns_enabled"] is True  # the tests' certificates are not the demo's
        assert body["google_token"] == "off"
        assert {c["which"] for c in body["certificates"]} == {"pass", "wwdr"}
        assert set(body["outbox_lag_seconds"]) == {"apple", "webpush"}

    def test_no_merchant_key_whatever_its_role(self, app: FastAPI, client: TestClient) -> None:
        admin = new_merchant(app)
        for key in (admin, new_key(app, admin, Role.read)):
            response = client.get("/api/v1/operator/status", headers=auth(key))
            assert response.status_code == 403
            assert response.json()["type"] == "forbidden"

    def test_401_without_a_credential(self, client: TestClient) -> None:
        assert client.get("/api/v1/operator/status").status_code == 401
        wrong = auth("not-the-token")
        assert client.get("/api/v1/operator/status", headers=wrong).status_code == 401

    def test_the_console_page_for_editors(self, app: FastAPI, client: TestClient) -> None:
        admin = new_merchant(app)
        page = console(TestClient(app), admin).get("/console/status")
        assert page.status_code == 200
        assert 'id="certificates"' in page.text
        assert "cert-warning" not in page.text
        reader = console(TestClient(app), new_key(app, admin, Role.read)).get("/console/status")
        assert reader.status_code == 403


@pytest.fixture
def expiring_pki(tmp_path: Path) -> Path:
    """A development PKI whose pass certificate expires in 10 days."""
    pki = create_development_pki(
        pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID,
        google_token_uri="http://127.0.0.1:1/token", now=utcnow(),
        pass_lifetime=timedelta(days=10),
    )  # fmt: skip
    (tmp_path / "apple").mkdir()
    (tmp_path / "apple" / "pass.pem").write_bytes(pki.pass_certificate_pem)
    (tmp_path / "apple" / "pass.key").write_bytes(pki.pass_key_pem)
    (tmp_path / "apple" / "wwdr.pem").write_bytes(pki.wwdr_pem)
    return tmp_path


@pytest.fixture
def expiring_app(
    app: FastAPI, database_url: str, expiring_pki: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[TestClient]:
    """The service started with that certificate (the start logs the first warning)."""
    settings = make_settings(database_url, expiring_pki, migrate_on_start=False)
    WARNINGS.forget()
    with caplog.at_level(logging.WARNING), TestClient(create_app(settings)) as client:
        yield client
    WARNINGS.forget()


class TestACertificateTenDaysFromExpiry:
    def test_warned_in_the_console_the_log_and_the_metric(
        self, expiring_app: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        client = expiring_app
        key = new_merchant(client.app)
        page = console(client, key).get("/console/status")
        assert page.status_code == 200
        assert "cert-warning" in page.text
        assert "The pass certificate expires on" in page.text or "Сертификат pass" in page.text

        body = status(client)
        assert any(w.startswith("certificate pass: expires") for w in body["warnings"])
        [cert] = [c for c in body["certificates"] if c["which"] == "pass"]
        assert cert["is_expiring"] is True
        assert cert["days_left"] in (9, 10)

        metrics = client.get("/metrics", headers=auth(OPERATOR_TOKEN)).text
        series = 'loyalpass_certificate_expiry_seconds{which="pass"}'
        [line] = [ln for ln in metrics.splitlines() if ln.startswith(series)]
        seconds = float(line.rsplit(" ", 1)[1])
        assert 9 * 86400 < seconds <= 10 * 86400

        # one WARNING for the pass certificate today, however often the status was read
        records = caplog.get_records("setup") + caplog.records  # the start, then the reads
        warned = [r for r in records if r.getMessage() == "certificate expires soon: renew it"]
        assert [(r.levelno, getattr(r, "which", None)) for r in warned] == [
            (logging.WARNING, "pass")
        ]
        assert getattr(warned[0], "days_left", None) in (9, 10)
