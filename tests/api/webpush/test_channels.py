"""Web Push as a channel of campaigns: the order wallet, web push, email/SMS; per-channel
counts in the audience preview and in the campaign's stats; the campaign's text arrives as
the notification; on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.clock import utcnow
from api.jobs.service import run_all
from api.webpush.pusher import WebPushPusher
from tests.api.webpush.conftest import Member
from tests.support.factories import auth, enrol
from tests.support.fake_webpush import FakeWebPush

pytestmark = pytest.mark.db


def preview(member: Member, program_id: str, channels: list[str] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": "New autumn menu!"}
    if channels is not None:
        body["channels"] = channels
    response = member.client.post(
        f"/api/v1/programs/{program_id}/campaigns/preview", json=body, headers=auth(member.key)
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestChannel:
    def test_default_order_counts_web_push(
        self, app: FastAPI, client: TestClient, member: Member, push: FakeWebPush
    ) -> None:
        program_id = member.body["program_id"]
        enrol(client, member.key, program_id, phone="+79160000002")  # reached by nothing
        member.subscribe(push.new_subscription().as_json())
        reach = preview(member, program_id, None)
        assert reach["channels"] == ["wallet", "web_push", "email", "sms"]
        assert reach["by_channel"]["web_push"] == 1
        assert reach["by_channel"]["card"] == 1
        without = preview(member, program_id, ["wallet", "email", "sms"])
        assert without["by_channel"]["web_push"] == 0
        assert without["by_channel"]["card"] == 2
        only_push = preview(member, program_id, ["web_push"])
        assert only_push["by_channel"]["web_push"] == 1

    def test_campaign_text_becomes_the_notification(
        self, app: FastAPI, member: Member, push: FakeWebPush, pusher: WebPushPusher
    ) -> None:
        program_id = member.body["program_id"]
        member.subscribe(push.new_subscription().as_json(), language="en")
        created = member.client.post(
            f"/api/v1/programs/{program_id}/campaigns",
            json={"name": "News", "message": "New autumn menu!", "channels": ["web_push"]},
            headers=auth(member.key),
        )
        assert created.status_code == 201, created.text
        run_all(app.state.engine, now=utcnow())
        campaign = member.client.get(
            f"/api/v1/campaigns/{created.json()['id']}", headers=auth(member.key)
        ).json()
        assert campaign["stats"]["by_channel"]["web_push"] == 1
        assert campaign["stats"]["web_push_delivered"] == 0
        assert pusher.run_once().sent == 1
        assert [m.json()["body"] for m in push.received] == ["New autumn menu!"]
        stats = member.client.get(
            f"/api/v1/campaigns/{created.json()['id']}", headers=auth(member.key)
        ).json()["stats"]
        assert stats["web_push_delivered"] == 1


class TestConsoleReach:
    def test_console_counts_web_push(
        self, client: TestClient, member: Member, push: FakeWebPush
    ) -> None:
        member.subscribe(push.new_subscription().as_json())
        response = client.post("/console/sign-in", data={"api_key": member.key},
                               follow_redirects=False)  # fmt: skip
        assert response.status_code == 303
        params = {"program": member.body["program_id"], "message": "Hello"}
        reach = client.get("/console/campaigns/reach", params=params).json()
        assert reach["by_channel"]["web_push"] == 1
        only_cards = {**params, "channels": "wallet"}
        assert client.get("/console/campaigns/reach", params=only_cards).json()["by_channel"] == {
            "wallet": 0, "web_push": 0, "email": 0, "sms": 0, "card": 1, "none": 0}  # fmt: skip
