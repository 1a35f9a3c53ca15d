"""Subscribing a card to Web Push: the VAPID public key, good and bad subscriptions (422
naming the field), unsubscribing; on both databases."""

from __future__ import annotations

import base64

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.webpush.models import WebPushSubscription
from tests.api.webpush.conftest import Member
from tests.support.fake_webpush import FakeWebPush

pytestmark = pytest.mark.db


def subscriptions(app: FastAPI) -> list[WebPushSubscription]:
    with Session(app.state.engine) as session:
        return list(session.exec(select(WebPushSubscription)).all())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TestPushKey:
    def test_public_key_is_an_uncompressed_p256_point(self, member: Member) -> None:
        response = member.client.get(f"/cards/{member.token}/push-key")
        assert response.status_code == 200
        raw = base64.urlsafe_b64decode(response.json()["public_key"] + "==")
        assert len(raw) == 65
        assert raw[0] == 4

    def test_same_key_for_every_card_and_request(self, app: FastAPI, member: Member) -> None:
        first = member.client.get(f"/cards/{member.token}/push-key").json()
        again = member.client.get(f"/cards/{member.token}/push-key").json()
        assert first == again == {"public_key": app.state.vapid_keys.public_key}

    def test_unknown_card_is_404(self, client: TestClient) -> None:
        response = client.get("/cards/" + "x" * 32 + "/push-key")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


class TestSubscribe:
    def test_stores_the_subscription(self, app: FastAPI, member: Member, push: FakeWebPush) -> None:
        sub = push.new_subscription()
        response = member.subscribe(sub.as_json(), language="en")
        assert response.status_code == 204
        (stored,) = subscriptions(app)
        assert (stored.endpoint, stored.p256dh, stored.auth) == (sub.endpoint, sub.p256dh,
                                                                  sub.auth)  # fmt: skip
        assert stored.language == "en"

    def test_what_browsers_send_is_accepted(
        self, app: FastAPI, member: Member, push: FakeWebPush
    ) -> None:
        """``toJSON()`` carries ``expirationTime`` (null, or a time in ms) beside the keys."""
        first, second = push.new_subscription().as_json(), push.new_subscription().as_json()
        assert first["expirationTime"] is None
        assert member.subscribe(first).status_code == 204
        assert member.subscribe({**second, "expirationTime": 1798761600000}).status_code == 204
        assert len(subscriptions(app)) == 2
        refused = member.subscribe({**push.new_subscription().as_json(), "expirationTime": -1})
        assert refused.status_code == 422

    def test_subscribing_again_updates_not_duplicates(
        self, app: FastAPI, member: Member, push: FakeWebPush
    ) -> None:
        sub = push.new_subscription()
        assert member.subscribe(sub.as_json()).status_code == 204
        assert member.subscribe(sub.as_json(), language="en").status_code == 204
        (stored,) = subscriptions(app)
        assert stored.language == "en"

    def test_language_from_accept_language(
        self, app: FastAPI, member: Member, push: FakeWebPush
    ) -> None:
        response = member.client.post(
            f"/cards/{member.token}/push-subscription",
            json=push.new_subscription().as_json(),
            headers={"Accept-Language": "ru-RU,ru;q=0.9"},
        )
        assert response.status_code == 204
        assert subscriptions(app)[0].language == "ru"

    def test_unsubscribe(self, app: FastAPI, member: Member, push: FakeWebPush) -> None:
        sub = push.new_subscription()
        member.subscribe(sub.as_json())
        url = f"/cards/{member.token}/push-subscription"
        response = member.client.request("DELETE", url, json={"endpoint": sub.endpoint})
        assert response.status_code == 204
        assert subscriptions(app) == []
        again = member.client.request("DELETE", url, json={"endpoint": sub.endpoint})
        assert again.status_code == 404
        assert again.json()["type"] == "webpush_subscription_not_found"


class TestBadSubscriptions:
    @pytest.mark.parametrize(
        ("endpoint", "code"),
        [
            ("http://push.example.com/x", "webpush_endpoint_not_https"),
            ("ftp://push.example.com/x", "webpush_endpoint_not_https"),
            ("https:///x", "webpush_endpoint_not_https"),
            ("https://10.1.2.3/x", "webpush_endpoint_private"),
            ("https://192.168.0.1/x", "webpush_endpoint_private"),
            ("https://127.0.0.2/x", "webpush_endpoint_private"),
            ("https://169.254.169.254/latest", "webpush_endpoint_private"),
            ("https://[::1]/x", "webpush_endpoint_private"),
            ("https://[fe80::1]/x", "webpush_endpoint_private"),
            ("https://[::ffff:10.0.0.1]/x", "webpush_endpoint_private"),
            ("https://localhost/x", "webpush_endpoint_private"),
            ("https://printer.local/x", "webpush_endpoint_private"),
            ("https://intranet/x", "webpush_endpoint_private"),
        ],
    )
    def test_endpoint_refused(
        self, app: FastAPI, member: Member, push: FakeWebPush, endpoint: str, code: str
    ) -> None:
        body = {**push.new_subscription().as_json(), "endpoint": endpoint}
        response = member.subscribe(body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == code
        assert subscriptions(app) == []

    @pytest.mark.parametrize(
        ("field", "value", "code"),
        [
            ("p256dh", "not base64!", "webpush_invalid_p256dh"),
            ("p256dh", b64(b"\x04" + b"\x00" * 64), "webpush_invalid_p256dh"),  # not on curve
            ("p256dh", b64(b"\x04" + b"\x01" * 32), "webpush_invalid_p256dh"),  # too short
            ("p256dh", b64(b"\x02" + b"\x01" * 32), "webpush_invalid_p256dh"),  # compressed
            ("p256dh", "", "webpush_invalid_p256dh"),
            ("auth", b64(b"\x01" * 15), "webpush_invalid_auth"),
            ("auth", b64(b"\x01" * 17), "webpush_invalid_auth"),
            ("auth", "a+b/", "webpush_invalid_auth"),
        ],
    )
    def test_keys_refused(
        self, member: Member, push: FakeWebPush, field: str, value: str, code: str
    ) -> None:
        body = push.new_subscription().as_json()
        body["keys"][field] = value
        response = member.subscribe(body)
        assert response.status_code == 422
        assert response.json()["type"] == code

    def test_missing_keys_is_a_validation_error(self, member: Member) -> None:
        response = member.subscribe({"endpoint": "https://push.example.com/x"})
        assert response.status_code == 422
        assert response.json()["type"] == "validation_error"

    def test_unknown_card_is_404(self, client: TestClient, push: FakeWebPush) -> None:
        url = "/cards/" + "x" * 32 + "/push-subscription"
        response = client.post(url, json=push.new_subscription().as_json())
        assert response.status_code == 404

    def test_endpoint_and_keys_never_logged(
        self, member: Member, push: FakeWebPush, caplog: pytest.LogCaptureFixture
    ) -> None:
        sub = push.new_subscription()
        with caplog.at_level("DEBUG"):
            member.subscribe(sub.as_json())
            member.subscribe({**sub.as_json(), "endpoint": "https://10.0.0.1/secret-path"})
        text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
        for secret in (sub.endpoint, sub.p256dh, sub.auth, "secret-path"):
            assert secret not in text
