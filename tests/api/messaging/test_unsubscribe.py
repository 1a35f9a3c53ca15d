"""The unsubscribe link: GET shows a button and changes nothing (mail scanners follow links);
POST, as mail clients send it for RFC 8058 one-click, withdraws the marketing consent."""

from __future__ import annotations

import time
from pathlib import Path
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.clock import utcnow
from api.members.models import Member
from api.messaging import service
from api.messaging.links import DEVELOPMENT_SECRET, unsubscribe_token
from api.messaging.models import Channel, Kind, Message, Purpose, Status
from api.messaging.sender import build_sender
from tests.conftest import make_settings
from tests.support.factories import enrol, new_merchant, new_program
from tests.support.fake_sms import FakeSmsRu
from tests.support.smtp import SmtpServer

pytestmark = pytest.mark.db


@pytest.fixture
def anna(app: FastAPI, client: TestClient) -> Member:
    key = new_merchant(app)
    program = new_program(client, key)
    member = enrol(client, key, program["id"], email="anna@example.com")
    with Session(app.state.engine) as session, session.begin():
        found = session.get(Member, UUID(member["id"]))
        assert found is not None
        service.record_consent(
            session,
            member=found,
            channel=Channel.email,
            purpose=Purpose.marketing,
            is_granted=True,
            source="join_page",
            now=utcnow(),
        )
        session.expunge(found)
    return found


def consented(app: FastAPI, member: Member) -> bool:
    with Session(app.state.engine) as session:
        return service.has_consent(session, member.id, Channel.email, Purpose.marketing)


class TestUnsubscribeLink:
    def test_get_shows_a_button_and_changes_nothing(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        token = unsubscribe_token(DEVELOPMENT_SECRET, anna.id, Channel.email)
        response = client.get(f"/unsubscribe/{token}?lang=en")
        assert response.status_code == 200
        assert 'method="post"' in response.text
        assert "Unsubscribe" in response.text
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert consented(app, anna)

    def test_one_click_post_unsubscribes(
        self, app: FastAPI, client: TestClient, anna: Member
    ) -> None:
        token = unsubscribe_token(DEVELOPMENT_SECRET, anna.id, Channel.email)
        response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert "Вы отписались" in response.text
        assert not consented(app, anna)
        assert client.post(f"/unsubscribe/{token}").status_code == 200  # again: harmless

    def test_forged_link_is_404_problem(self, client: TestClient, anna: Member) -> None:
        forged = unsubscribe_token(b"not our secret", anna.id, Channel.email)
        for response in (
            client.get(f"/unsubscribe/{forged}"),
            client.post(f"/unsubscribe/{forged}"),
        ):
            assert response.status_code == 404
            assert response.json()["type"] == "unsubscribe_link_invalid"


class TestInTheService:
    def test_the_service_sends_through_its_configured_channels(
        self, app: FastAPI, anna: Member, database_url: str, pki_dir: Path, tmp_path: Path
    ) -> None:
        with SmtpServer(tmp_path) as smtp, FakeSmsRu() as sms:
            settings = make_settings(
                database_url,
                pki_dir,
                **smtp.settings(),
                sms_provider="smsru",
                smsru_api_id=sms.api_id,
                smsru_url=sms.url,
                sms_sender="CoffeeCo",
            )
            sender = build_sender(app.state.engine, settings, app.state.designs)
            assert sender is not None
            with Session(app.state.engine) as session, session.begin():
                service.enqueue(
                    session,
                    member=anna,
                    channel=Channel.email,
                    kind=Kind.service,
                    template="card_link",
                    locale="en",
                    idempotency_key="link",
                    context={"name": "Anna", "card_url": "https://c/1"},
                    now=utcnow(),
                )
            thread = sender.start_thread()
            deadline = time.monotonic() + 20
            while not smtp.messages and time.monotonic() < deadline:
                time.sleep(0.05)
            thread.stop()
        assert smtp.messages[0]["Subject"] == "Your Coffee Club card"
        with Session(app.state.engine) as session:
            rows = session.exec(select(Message)).all()
            assert [(r.status, r.provider) for r in rows] == [(Status.sent, "smtp")]
        assert sms.sent == []
