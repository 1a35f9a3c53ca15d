"""A card that is both in Apple Wallet and subscribed to Web Push hears of a campaign and of
an automation through both: the message goes on the card once, and each of the card's
channels follows the card (an APNs push to the device, a notification to the browser). The
campaign's audience counts name each member once, under the first channel in its order that
reaches them (wallet before web push); its delivery counts say what each channel delivered
(APNs pushes, web push notifications); on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.apple_webservice.pusher import ApplePusher
from api.apple_webservice.sender import ApnsSender
from api.automations import tasks as automation_tasks
from api.clock import utcnow
from api.jobs.service import run_all
from api.settings import Settings
from api.webpush.pusher import WebPushPusher
from tests.api.apple_webservice.test_web_service import TOKEN_A, Wallet, fake_apns
from tests.support.factories import POINTS_RULES, auth, enrol, new_merchant, new_program, purchase
from tests.support.fake_apns import FakeApns
from tests.support.fake_webpush import FakeWebPush

__all__ = ["fake_apns"]  # a fake APNs for this module
pytestmark = pytest.mark.db


@pytest.fixture
def apple(app: FastAPI, settings: Settings, fake_apns: FakeApns) -> Iterator[ApplePusher]:
    fake_apns.reset()
    apns = settings.model_copy(
        update={"apns_url": fake_apns.url, "apns_ca_file": fake_apns.ca_file}
    )
    sender = ApnsSender.from_settings(apns, app.state.apple_wallet.pass_type_identifier)
    yield ApplePusher(app.state.engine, sender.send, batch_size=50)
    sender.close()


class Both:
    """A member whose card is in an iPhone's Wallet and subscribed in a browser."""

    def __init__(self, app: FastAPI, client: TestClient, push: FakeWebPush, **automation: Any):
        self.client = client
        self.key = new_merchant(app)
        self.program = new_program(client, self.key, rules=POINTS_RULES, design="florist")
        if automation:
            response = client.put(
                f"/api/v1/programs/{self.program['id']}/automations/after_purchase",
                json=automation, headers=auth(self.key),
            )  # fmt: skip
            assert response.status_code == 200, response.text
        self.member = enrol(client, self.key, self.program["id"])
        wallet = Wallet(client, client.get(self.member["apple_pass_url"]).content)
        assert wallet.register(TOKEN_A).status_code == 201
        token = self.member["card_url"].rsplit("/", 1)[1]
        self.subscription = push.new_subscription()
        subscribed = client.post(
            f"/cards/{token}/push-subscription",
            json={**self.subscription.as_json(), "language": "en"},
        )
        assert subscribed.status_code == 204, subscribed.text

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.client.request(method, path, json=body, headers=auth(self.key))
        assert response.status_code in (200, 201), response.text
        return response.json()


def drain(apple: ApplePusher, web: WebPushPusher) -> None:
    apple.run_once()
    web.run_once()


class TestCampaign:
    def test_both_the_wallet_and_the_browser_get_it(
        self, app: FastAPI, client: TestClient, push: FakeWebPush, fake_apns: FakeApns,
        apple: ApplePusher, pusher: WebPushPusher,
    ) -> None:  # fmt: skip
        both = Both(app, client, push)
        drain(apple, pusher)  # enrolling is silent; nothing is pending before the campaign
        fake_apns.reset()
        base = f"/api/v1/programs/{both.program['id']}/campaigns"
        reach = both.api("POST", f"{base}/preview", {"message": "New autumn menu!"})
        assert reach["members"] == 1
        counts = reach["by_channel"]
        assert (counts["wallet"], counts["web_push"], counts["card"]) == (1, 0, 0)

        campaign = both.api("POST", base, {"name": "News", "message": "New autumn menu!"})
        run_all(app.state.engine, now=utcnow())
        drain(apple, pusher)

        assert fake_apns.tokens_received() == [TOKEN_A]
        assert [m.json()["body"] for m in push.received] == ["New autumn menu!"]
        assert push.received[0].subscription_id == both.subscription.id
        stats = both.api("GET", f"/api/v1/campaigns/{campaign['id']}")["stats"]
        assert stats["recipients"] == 1
        assert (stats["by_channel"]["wallet"], stats["by_channel"]["web_push"]) == (1, 0)
        assert stats["apple_pushes_delivered"] == 1
        assert stats["web_push_delivered"] == 1

    def test_web_push_alone_still_reaches_the_browser(
        self, app: FastAPI, client: TestClient, push: FakeWebPush, fake_apns: FakeApns,
        apple: ApplePusher, pusher: WebPushPusher,
    ) -> None:  # fmt: skip
        """Web push first in the order: the member counts there, and the card still changes
        on the phone (the message is on the card, which the wallet follows)."""
        both = Both(app, client, push)
        drain(apple, pusher)
        fake_apns.reset()
        base = f"/api/v1/programs/{both.program['id']}/campaigns"
        body = {"name": "News", "message": "Hello", "channels": ["web_push", "wallet"]}
        campaign = both.api("POST", base, body)
        run_all(app.state.engine, now=utcnow())
        drain(apple, pusher)
        assert [m.json()["body"] for m in push.received] == ["Hello"]
        assert fake_apns.tokens_received() == [TOKEN_A]
        stats = both.api("GET", f"/api/v1/campaigns/{campaign['id']}")["stats"]
        assert (stats["by_channel"]["wallet"], stats["by_channel"]["web_push"]) == (0, 1)
        assert (stats["apple_pushes_delivered"], stats["web_push_delivered"]) == (1, 1)


class TestAutomation:
    def test_after_purchase_reaches_both(
        self, app: FastAPI, client: TestClient, push: FakeWebPush, fake_apns: FakeApns,
        apple: ApplePusher, pusher: WebPushPusher,
    ) -> None:  # fmt: skip
        both = Both(app, client, push, text="+{earned}, balance {balance}")
        drain(apple, pusher)
        fake_apns.reset()
        purchase(client, both.key, both.member["id"], "2400")
        now = utcnow() + timedelta(minutes=2)  # past the automation's minute of coalescing
        assert automation_tasks.send_purchase_messages(app.state.engine, now=now) == 1
        drain(apple, pusher)
        assert set(fake_apns.tokens_received()) == {TOKEN_A}
        # The purchase and the message coalesce into one notification, showing the message.
        assert [m.json()["body"] for m in push.received] == ["+120, balance 120"]
