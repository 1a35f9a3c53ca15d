"""A push endpoint's host is resolved, and every address must be public: when the browser
subscribes (422) and again before each push (not sent; the sender connects to the address it
checked). The resolver is substituted, so no test needs DNS; on both databases."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from uuid import uuid4

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from api.webpush.models import WebPushSubscription
from api.webpush.pusher import WebPushPusher
from api.webpush.routes import get_resolver
from api.webpush.sender import WebPushSender
from api.webpush.service import Notification, Outcome
from tests.api.webpush.conftest import Member
from tests.support.factories import purchase
from tests.support.fake_webpush import FakeWebPush

pytestmark = pytest.mark.db

PUBLIC = "142.250.74.74"
ENDPOINT = "https://push.example.com/send/abc"


class Names:
    """A resolver whose answers the test sets; it records every question."""

    def __init__(self, **answers: list[str]) -> None:
        self.answers = {name.replace("_", "."): found for name, found in answers.items()}
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append((host, port))
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


@pytest.fixture
def names(app: FastAPI) -> Iterator[Names]:
    found = Names()
    app.dependency_overrides[get_resolver] = lambda: found
    yield found
    app.dependency_overrides.pop(get_resolver, None)


def stored(app: FastAPI) -> list[WebPushSubscription]:
    with Session(app.state.engine) as session:
        rows = list(session.exec(select(WebPushSubscription)).all())
        session.expunge_all()
    return rows


class TestSubscribing:
    @pytest.mark.parametrize(
        "addresses",
        [["10.0.0.5"], ["127.0.0.1"], ["169.254.169.254"], ["fd00::1"], ["::ffff:192.168.0.1"],
         [PUBLIC, "10.0.0.5"]],
    )  # fmt: skip
    def test_a_name_resolving_to_a_private_address_is_refused(
        self, app: FastAPI, member: Member, push: FakeWebPush, names: Names,
        addresses: list[str],
    ) -> None:  # fmt: skip
        names.answers["push.example.com"] = addresses
        response = member.subscribe({**push.new_subscription().as_json(), "endpoint": ENDPOINT})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "webpush_endpoint_private"
        assert names.asked == [("push.example.com", 443)]
        assert stored(app) == []

    def test_a_name_that_does_not_resolve_is_refused(
        self, app: FastAPI, member: Member, push: FakeWebPush, names: Names
    ) -> None:
        response = member.subscribe({**push.new_subscription().as_json(), "endpoint": ENDPOINT})
        assert response.status_code == 422
        assert response.json()["type"] == "webpush_endpoint_unresolvable"
        assert stored(app) == []

    def test_a_public_name_is_stored(
        self, app: FastAPI, member: Member, push: FakeWebPush, names: Names
    ) -> None:
        names.answers["push.example.com"] = [PUBLIC]
        endpoint = "https://push.example.com:8443/send/abc"
        response = member.subscribe({**push.new_subscription().as_json(), "endpoint": endpoint})
        assert response.status_code == 204, response.text
        assert names.asked == [("push.example.com", 8443)]
        assert [s.endpoint for s in stored(app)] == [endpoint]


class TestSending:
    def test_a_name_now_resolving_to_a_private_address_is_not_pushed(
        self, app: FastAPI, member: Member, push: FakeWebPush, names: Names
    ) -> None:
        """DNS changed after the check: the push is not sent, the subscription is kept."""
        names.answers["push.example.com"] = [PUBLIC]
        body = {**push.new_subscription().as_json(), "endpoint": ENDPOINT}
        assert member.subscribe(body).status_code == 204
        rebound = Names(push_example_com=["10.0.0.5"])
        sender = WebPushSender(app.state.vapid_keys, connections=1, resolve=rebound)
        try:
            pusher = WebPushPusher(app.state.engine, sender.send, public_url="http://testserver")
            purchase(member.client, member.key, member.id, "2400")
            report = pusher.run_once()
        finally:
            sender.close()
        assert (report.sent, report.dropped, report.retried) == (0, 1, 0)
        assert rebound.asked == [("push.example.com", 443)]
        (sub,) = stored(app)
        assert sub.last_status == "refused: not a public address"
        assert sub.pending_since is None

    def test_a_literal_private_address_is_not_pushed(self, app: FastAPI) -> None:
        sender = WebPushSender(app.state.vapid_keys, connections=1, resolve=Names())
        try:
            outcome = sender.send_one(notification("https://10.0.0.5/send/abc"))
        finally:
            sender.close()
        assert outcome == Outcome(0, refused="not a public address")


@pytest.fixture(scope="module")
def named_push() -> Iterator[FakeWebPush]:
    """The fake push service under a name (``localhost``, which its certificate names)."""
    with FakeWebPush(host="localhost") as fake:
        yield fake


def notification(endpoint: str, p256dh: str = "", auth: str = "") -> Notification:
    payload = b'{"body": "You have 120 points"}'
    return Notification(subscription_id=uuid4(), generation=0, attempts=0, endpoint=endpoint,
                        p256dh=p256dh, auth=auth, payload=payload, over_budget=False)  # fmt: skip


class TestPinnedConnection:
    """The sender connects to the address it resolved and checked (DNS is not asked again
    by the connection), and verifies the certificate for the endpoint's host name."""

    def send(self, app: FastAPI, push: FakeWebPush, answer: str) -> tuple[Outcome, Names]:
        sub = push.new_subscription()
        names = Names(localhost=[answer])
        # localhost is allowed to be local here, as the settings' allow-list does for a fake.
        sender = WebPushSender(app.state.vapid_keys, connections=1, verify=push.ca_file,
                               allow_hosts=["localhost"], resolve=names)  # fmt: skip
        try:
            note = notification(sub.endpoint, sub.p256dh, sub.auth)
            outcomes = [sender.send_one(note) for _ in range(2)]
        finally:
            sender.close()
        assert outcomes[0] == outcomes[1]
        return outcomes[0], names

    def test_the_resolved_address_is_connected_to(
        self, app: FastAPI, named_push: FakeWebPush
    ) -> None:
        before = len(named_push.received)
        outcome, names = self.send(app, named_push, "127.0.0.1")
        assert outcome.status == 201
        assert len(named_push.received) == before + 2
        assert named_push.received[-1].json()["body"] == "You have 120 points"
        assert names.asked == [("localhost", named_push.server.server_address[1])]  # kept

    def test_another_address_is_not_the_fake(self, app: FastAPI, named_push: FakeWebPush) -> None:
        """The fake listens on 127.0.0.1 only: told 127.0.0.2, the sender reaches nothing,
        although the system would resolve localhost to the fake."""
        before = len(named_push.received)
        outcome, _ = self.send(app, named_push, "127.0.0.2")
        assert outcome == Outcome(0)
        assert len(named_push.received) == before

    def test_the_certificate_must_name_the_endpoints_host(self, app: FastAPI) -> None:
        """Connected to 127.0.0.1, which the certificate names, for a host it does not name:
        refused (the name is checked, not the address)."""
        with FakeWebPush(host="push.test") as push:
            sub = push.new_subscription()
            names = Names(push_test=["127.0.0.1"])
            sender = WebPushSender(app.state.vapid_keys, connections=1, verify=push.ca_file,
                                   allow_hosts=["push.test"], resolve=names)  # fmt: skip
            try:
                outcome = sender.send_one(notification(sub.endpoint, sub.p256dh, sub.auth))
            finally:
                sender.close()
            assert outcome == Outcome(0)
            assert push.received == []
