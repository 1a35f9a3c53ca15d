"""card.installed and card.removed from Google's save and delete callbacks (a fake Google
signs them; the webhook receiver verifies ours)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.webhooks.sender import WebhookSender
from passes.google.savelink import SAVE_URL
from tests.api.webhooks.receiver import Receiver, running_receiver
from tests.conftest import wipe
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program
from tests.support.fake_google import FakeGoogle
from tests.support.server import google_fixtures

pytestmark = pytest.mark.db

google, google_app, _, app = google_fixtures("3388000000012345679")


@pytest.fixture
def client(google_app: TestClient, google: FakeGoogle) -> Iterator[TestClient]:
    def into_the_service(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        return google_app.post(urlsplit(url).path, content=body, headers=headers).status_code

    google._callback_transport = into_the_service
    service: Any = google_app.app
    settings = service.state.settings
    service.state.settings = settings.model_copy(update={"webhooks_allow_private": True})
    yield google_app
    service.state.settings = settings
    wipe(service.state.engine)
    google.reset()


def test_a_google_save_and_delete_are_webhooks(
    app: FastAPI, client: TestClient, google: FakeGoogle
) -> None:
    key = new_merchant(app)
    program = new_program(client, key, rules=POINTS_RULES)
    with running_receiver() as receiver:
        subscribe(client, key, receiver)
        member = enrol(client, key, program["id"])
        location = client.get(member["google_save_url"], follow_redirects=False)
        saved = google.save(location.headers["location"].removeprefix(SAVE_URL))
        assert google.delete_from_wallet(saved.object_ids[0]) is not None
        WebhookSender(app.state.engine, require_https=False, allow_private=True).run_once()
    assert receiver.types == ["card.installed", "card.removed"]
    assert {event["data"]["wallet"] for event in receiver.received} == {"google"}


def subscribe(client: TestClient, key: str, receiver: Receiver) -> None:
    body = {"url": receiver.url, "events": ["card.installed", "card.removed"]}
    response = client.post("/api/v1/webhooks", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    receiver.secrets.append(response.json()["secret"])
