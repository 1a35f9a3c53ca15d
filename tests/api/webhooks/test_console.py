"""The console's webhooks page: create with the secret shown once, a private address refused
on the form, the delivery log, replay of failed events, the banner of a disabled endpoint,
and no changes with a read key (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.merchants.models import Role
from api.webhooks.delivery import DISABLE_AFTER
from api.webhooks.sender import WebhookSender
from tests.support.factories import POINTS_RULES, auth, enrol, new_key, new_merchant, new_program

pytestmark = pytest.mark.db


def sign_in(client: TestClient, key: str) -> None:
    client.headers["Accept-Language"] = "en"
    response = client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
    assert response.status_code == 303, response.text


def test_create_see_the_log_replay_and_the_disabled_banner(
    app: FastAPI, client: TestClient
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)["id"]
    sign_in(client, key)
    assert "No webhooks yet." in client.get("/console/webhooks").text
    refused = client.post("/console/webhooks", data={"url": "http://10.0.0.7/hook"})
    assert refused.status_code == 422
    assert 'id="error"' in refused.text
    assert 'value="http://10.0.0.7/hook"' in refused.text
    created = client.post(
        "/console/webhooks", data={"url": "https://1.1.1.1/hook", "events": "member.created"}
    )
    assert created.status_code == 200, created.text
    assert 'id="secret"' in created.text
    assert "<code>whsec_" in created.text
    endpoint = client.get("/api/v1/webhooks", headers=auth(key)).json()["items"][0]["id"]
    assert "whsec_" not in client.get(f"/console/webhooks?endpoint={endpoint}").text

    enrol(client, key, program)
    sender = WebhookSender(
        app.state.engine, require_https=True, allow_private=False, post=lambda *_: (500, "oops")
    )
    now = datetime.now(UTC)
    sender.run_once(now=now)
    enrol(client, key, program, phone="+7 916 000-00-02")
    sender.run_once(now=now + DISABLE_AFTER)
    page = client.get(f"/console/webhooks?endpoint={endpoint}").text
    assert f'id="disabled-{endpoint}"' in page
    assert "<code>oops</code>" in page
    enabled = client.post(f"/console/webhooks/{endpoint}/enable")
    assert f'id="disabled-{endpoint}"' not in enabled.text
    replayed = client.post(f"/console/webhooks/{endpoint}/replay", data={})
    assert replayed.status_code == 200, replayed.text
    assert 'id="replayed"' in replayed.text


def test_a_read_key_sees_but_does_not_change(app: FastAPI, client: TestClient) -> None:
    admin = new_merchant(app)
    client.post("/api/v1/webhooks", json={"url": "https://1.1.1.1/x"}, headers=auth(admin))
    sign_in(client, new_key(app, admin, Role.read))
    page = client.get("/console/webhooks")
    assert "https://1.1.1.1/x" in page.text
    assert 'id="webhook-form"' not in page.text
    refused = client.post("/console/webhooks", data={"url": "https://1.1.1.1/y"})
    assert refused.status_code == 403
