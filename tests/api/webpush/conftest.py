"""Web Push fixtures: the fake push service (one per module), a sender that trusts it, and
the pusher the tests drive with their own clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import Settings
from api.webpush.pusher import WebPushPusher
from api.webpush.sender import WebPushSender
from tests.support.factories import enrol, new_merchant, new_program
from tests.support.fake_webpush import FakeWebPush


@pytest.fixture(scope="module")
def fake_push() -> Iterator[FakeWebPush]:
    with FakeWebPush() as fake:
        yield fake


@pytest.fixture
def push(fake_push: FakeWebPush) -> FakeWebPush:
    with fake_push.state.lock:
        fake_push.state.received.clear()
        fake_push.state.refusals.clear()
        fake_push.state.script.clear()
    return fake_push


@pytest.fixture
def sender(app: FastAPI, settings: Settings, push: FakeWebPush) -> Iterator[WebPushSender]:
    sender = WebPushSender(app.state.vapid_keys, connections=4, verify=push.ca_file,
                           allow_hosts=settings.webpush_allow_hosts)  # fmt: skip
    yield sender
    sender.close()


@pytest.fixture
def pusher(app: FastAPI, settings: Settings, sender: WebPushSender) -> WebPushPusher:
    return WebPushPusher(app.state.engine, sender.send, public_url=settings.public_url)


class Member:
    def __init__(self, client: TestClient, key: str, body: dict[str, Any]) -> None:
        self.client, self.key, self.body = client, key, body
        self.id: str = body["id"]
        self.token: str = body["card_url"].rsplit("/", 1)[1]

    def subscribe(self, subscription: dict[str, Any], **extra: Any) -> Any:
        return self.client.post(
            f"/cards/{self.token}/push-subscription", json={**subscription, **extra}
        )


@pytest.fixture
def member(app: FastAPI, client: TestClient) -> Member:
    key = new_merchant(app)
    rules = {"currency": "RUB", "earn": {"points": 5, "per_amount": "100"}}
    program = new_program(client, key, rules=rules)
    return Member(client, key, enrol(client, key, program["id"]))
