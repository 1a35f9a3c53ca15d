"""The console's campaign page over channels, on both databases: the form counts its audience
per channel with the SMS cost, sends on the chosen channels, and the campaign list and the
member page show each message's delivery status."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.messaging.sender import MessageSender
from api.messaging.smsru import SmsRu
from tests.api.messaging.test_campaign_channels import (
    TEXT,
    Clock,
    jobs,
    mailer,
    mixed_world,
    sender,
)
from tests.support.fake_sms import FakeSmsRu
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.db


def sign_in(client: TestClient, key: str) -> None:
    response = client.post("/console/sign-in", data={"api_key": key}, follow_redirects=False)
    assert response.status_code == 303, response.text


def send_all(app: FastAPI, smtp: SmtpServer) -> None:
    with FakeSmsRu() as fake:
        job: MessageSender = sender(
            app, Clock(), mailer=mailer(smtp), mail_from="cards@example.com",
            sms=SmsRu(fake.api_id, sender=None, url=fake.url),
        )  # fmt: skip
        job.run_once()
        job.close()


def test_form_counts_channels_and_pages_show_delivery(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    world = mixed_world(app, client)
    sign_in(client, world.key)
    pid = world.program["id"]
    reach: dict[str, Any] = client.get(
        "/console/campaigns/reach", params={"program": pid, "message": TEXT}
    ).json()
    assert reach["members"] == 6
    assert reach["by_channel"] == {"wallet": 2, "web_push": 0, "email": 2, "sms": 1, "card": 1,
                                   "none": 0}  # fmt: skip
    assert (reach["sms"]["encoding"], reach["sms"]["parts"]) == ("UCS-2", 1)
    contacts = client.get(
        "/console/campaigns/reach",
        params={"program": pid, "message": TEXT, "channels": "email,sms"},
    ).json()
    assert contacts["by_channel"]["none"] == 2
    bad = client.get("/console/campaigns/reach", params={"program": pid, "channels": "fax"})
    assert bad.json() == {"members": None}
    page = html.unescape(client.get("/console/campaigns", params={"program": pid}).text)
    assert 'id="reach-wallet">2<' in page
    sent = client.post(
        "/console/campaigns",
        data={
            "program": pid,
            "action": "send",
            "name": "Autumn",
            "message": TEXT,
            "channels": "email,sms",
        },  # fmt: skip
    )
    assert sent.status_code == 200, sent.text
    jobs(app)
    with SmtpServer(tmp_path) as smtp:
        smtp.handler.refuse["nobody@example.com"] = "550 5.1.1 no such user"
        send_all(app, smtp)
    listed = html.unescape(
        client.get("/console/campaigns", params={"program": pid, "lang": "en"}).text
    )
    assert "email: sent 2 bounced 1;" in listed
    assert "SMS: sent 1;" in listed
    member = client.get(f"/console/members/{world.ids['bounce']}?lang=en").text
    assert 'id="messages"' in member
    assert "bounced" in member
    quiet = client.get(f"/console/members/{world.ids['none']}?lang=en").text
    assert "No messages yet." in quiet
