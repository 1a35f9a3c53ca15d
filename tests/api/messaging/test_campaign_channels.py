"""Campaigns over every channel, on both databases: a mixed audience (cards installed on Apple
and Google, email-only and phone-only members with consent, members without consent) reaches
each member once on the right channel, through a real SMTP server and the SMS.ru fake; the
preview counts the channels and the SMS cost; the delivery statuses show in the campaign
stats and the member's history; a sender killed mid-campaign resumes without repeats."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from api.clock import utcnow
from api.google_wallet.models import GoogleObject
from api.jobs.service import run_all
from api.members.models import Card, Member
from api.messaging import service as messaging_service
from api.messaging.channels import SendResult, Sms, SmsProvider
from api.messaging.links import DEVELOPMENT_SECRET
from api.messaging.mail import message_templates
from api.messaging.models import Channel, Message, Purpose, Status
from api.messaging.sender import MessageSender
from api.messaging.smsru import SmsRu
from api.messaging.smtp import SmtpConfig, SmtpMailer
from api.outbox.models import OutboxEvent
from tests.support.factories import auth, enrol, new_merchant, new_program
from tests.support.fake_sms import FakeSmsRu
from tests.support.smtp import PASSWORD, USERNAME, SmtpServer

pytestmark = pytest.mark.db
TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
TEXT = "Осенняя распродажа: -20% на всё"  # Cyrillic: UCS-2, one part (31 characters)


class Killed(BaseException):
    """The sender process dies."""


@dataclass
class Clock:
    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    key: str
    program: dict[str, Any]
    ids: dict[str, str]

    def member(self, name: str) -> UUID:
        return UUID(self.ids[name])


def grant(app: FastAPI, member_id: UUID, channel: Channel) -> None:
    with Session(app.state.engine) as session, session.begin():
        member = session.get_one(Member, member_id)
        messaging_service.record_consent(
            session, member=member, channel=channel, purpose=Purpose.marketing,
            is_granted=True, source="join_page", text_version="2026-11", now=utcnow(),
        )  # fmt: skip


def install_on_apple(client: TestClient, member: dict[str, Any]) -> None:
    """Wallet on an iPhone registers the card through the real web service."""
    with zipfile.ZipFile(io.BytesIO(client.get(member["apple_pass_url"]).content)) as archive:
        body = json.loads(archive.read("pass.json"))
    response = client.post(
        f"/apple/v1/devices/{uuid4().hex}/registrations/{body['passTypeIdentifier']}/"
        f"{body['serialNumber']}",
        json={"pushToken": uuid4().hex * 2},
        headers={"Authorization": f"ApplePass {body['authenticationToken']}"},
    )
    assert response.status_code == 201, response.text


def save_on_google(app: FastAPI, member_id: UUID) -> None:
    """The Google sync created the object and Google's callback said it was saved."""
    with Session(app.state.engine) as session, session.begin():
        card = session.exec(select(Card).where(Card.member_id == member_id)).one()
        session.add(
            GoogleObject(
                card_id=card.id,
                merchant_id=card.merchant_id,
                object_id=f"obj.{card.id.hex}",
                class_id="class.1",
                in_wallet=True,
                saved_at=utcnow(),
            )  # fmt: skip
        )


def mixed_world(app: FastAPI, client: TestClient) -> World:
    key = new_merchant(app)
    program = new_program(client, key, design="coffee")
    pid = program["id"]
    made = {
        "apple": enrol(
            client, key, pid, name="Anna", phone="+79160000001", email="anna@example.com"
        ),  # fmt: skip
        "google": enrol(client, key, pid, name="Gleb", phone="+79160000002"),
        "email": enrol(
            client, key, pid, name="Elena", phone="+79160000003", email="elena@example.com"
        ),  # fmt: skip
        "sms": enrol(client, key, pid, name="Sergey", phone="+79160000004"),
        "bounce": enrol(client, key, pid, name="Boris", email="nobody@example.com"),
        "none": enrol(
            client, key, pid, name="Nina", phone="+79160000005", email="nina@example.com"
        ),  # fmt: skip
    }
    world = World(key, program, {name: m["id"] for name, m in made.items()})
    install_on_apple(client, made["apple"])
    save_on_google(app, world.member("google"))
    grant(app, world.member("apple"), Channel.email)  # installed: the wallet comes first
    grant(app, world.member("email"), Channel.email)
    grant(app, world.member("email"), Channel.sms)  # both: email is preferred, once
    grant(app, world.member("sms"), Channel.sms)
    grant(app, world.member("bounce"), Channel.email)
    return world


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path) as server:
        yield server


def sender(app: FastAPI, clock: Clock, **channels: Any) -> MessageSender:
    return MessageSender(
        app.state.engine, message_templates(TEMPLATES), app.state.designs,
        public_url="https://cards.example", secret=DEVELOPMENT_SECRET, clock=clock, **channels,
    )  # fmt: skip


def mailer(server: SmtpServer) -> SmtpMailer:
    return SmtpMailer(
        SmtpConfig("127.0.0.1", server.port, "starttls", USERNAME, PASSWORD, server.ca_file)
    )


def create_campaign(client: TestClient, world: World, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/programs/{world.program['id']}/campaigns",
        json={"name": "Autumn", "message": TEXT, **body},
        headers=auth(world.key),
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def jobs(app: FastAPI) -> None:
    assert run_all(app.state.engine, now=datetime.now(UTC)).errors == []


def card_message(app: FastAPI, member_id: UUID) -> str | None:
    with Session(app.state.engine) as session:
        return session.exec(select(Card.message).where(Card.member_id == member_id)).one()


class TestMixedAudience:
    def test_each_member_once_on_the_right_channel(
        self, app: FastAPI, client: TestClient, smtp: SmtpServer
    ) -> None:
        world = mixed_world(app, client)
        smtp.handler.refuse["nobody@example.com"] = "550 5.1.1 no such user"
        created = create_campaign(client, world)
        assert created["channels"] == ["wallet", "web_push", "email", "sms"]
        jobs(app)
        with FakeSmsRu() as fake:
            job = sender(app, Clock(), mailer=mailer(smtp), mail_from="cards@example.com",
                         sms=SmsRu(fake.api_id, sender="CoffeeCo", url=fake.url))  # fmt: skip
            job.run_once()
            assert job.run_once().claimed == 0
            job.close()
            jobs(app)  # running the campaign job again sends nothing more
            again = sender(app, Clock(), sms=SmsRu(fake.api_id, sender=None, url=fake.url))
            assert again.run_once().claimed == 0
            texts = [(s.to, s.text) for s in fake.sent]
        assert [r.rcpt_tos for r in smtp.received] == [["elena@example.com"]]
        email = smtp.messages[0]
        assert TEXT in str(email.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        assert email["List-Unsubscribe"] is not None  # marketing
        assert texts == [("79160000004", TEXT)]
        on_cards = {n: card_message(app, world.member(n)) for n in world.ids}
        assert on_cards == {"apple": TEXT, "google": TEXT, "none": TEXT, "email": None,
                            "sms": None, "bounce": None}  # fmt: skip
        with Session(app.state.engine) as session:
            events = session.exec(
                select(OutboxEvent.card_id).where(OutboxEvent.campaign_id == UUID(created["id"]))
            ).all()
        assert len(events) == 3  # one card change each for the two wallets and Nina's card
        stats = client.get(f"/api/v1/campaigns/{created['id']}", headers=auth(world.key)).json()
        assert stats["recipients"] == 6
        assert stats["stats"]["by_channel"] == {"wallet": 2, "web_push": 0, "email": 2, "sms": 1,
                                                "card": 1, "none": 0}  # fmt: skip
        assert stats["stats"]["email"] == {"queued": 0, "sent": 1, "delivered": 0,
                                           "failed": 0, "bounced": 1}  # fmt: skip
        assert stats["stats"]["sms"]["sent"] == 1
        assert stats["stats"]["apple_alerts"] == 3

    def test_wallet_not_chosen_reaches_only_consented_contacts(
        self, app: FastAPI, client: TestClient
    ) -> None:
        world = mixed_world(app, client)
        created = create_campaign(client, world, channels=["sms", "email"])
        jobs(app)
        with Session(app.state.engine) as session:
            rows = session.exec(select(Message.member_id, Message.channel)).all()
        by_member = {str(m): c for m, c in rows}
        assert by_member == {world.ids["email"]: "sms", world.ids["sms"]: "sms",
                             world.ids["bounce"]: "email", world.ids["apple"]: "email"}  # fmt: skip
        stats = client.get(f"/api/v1/campaigns/{created['id']}", headers=auth(world.key)).json()
        assert stats["stats"]["by_channel"]["none"] == 0  # the unreached are not recipients
        assert stats["recipients"] == 4
        assert card_message(app, world.member("none")) is None

    def test_bad_channel_lists_are_422(self, app: FastAPI, client: TestClient) -> None:
        world = mixed_world(app, client)
        url = f"/api/v1/programs/{world.program['id']}/campaigns"
        for channels in ([], ["fax"], ["sms", "sms"]):
            body = {"name": "X", "message": "x", "channels": channels}
            assert client.post(url, json=body, headers=auth(world.key)).status_code == 422


@pytest.fixture
def priced(app: FastAPI) -> Iterator[None]:
    """An SMS part costs 2.50 (``LOYALPASS_SMS_SEGMENT_PRICE``)."""
    settings = app.state.settings
    app.state.settings = settings.model_copy(update={"sms_segment_price": Decimal("2.50")})
    try:
        yield
    finally:
        app.state.settings = settings


class TestPreview:
    def test_counts_per_channel_and_sms_cost(
        self, app: FastAPI, client: TestClient, priced: None
    ) -> None:
        world = mixed_world(app, client)
        url = f"/api/v1/programs/{world.program['id']}/campaigns/preview"
        preview = client.post(url, json={"message": TEXT}, headers=auth(world.key)).json()
        assert preview["members"] == 6
        assert preview["by_channel"] == {"wallet": 2, "web_push": 0, "email": 2, "sms": 1,
                                         "card": 1, "none": 0}  # fmt: skip
        assert preview["sms"] == {"encoding": "UCS-2", "characters": len(TEXT),
                                  "parts_per_message": 1, "recipients": 1, "parts": 1,
                                  "cost": "2.50"}  # fmt: skip
        long = "Скидка " * 15  # 105 UCS-2 units: two parts of 67
        sms_first = client.post(
            url, json={"message": long, "channels": ["sms", "email"]}, headers=auth(world.key)
        ).json()
        assert sms_first["by_channel"] == {"wallet": 0, "web_push": 0, "email": 2, "sms": 2,
                                           "card": 0, "none": 2}  # fmt: skip
        assert (sms_first["sms"]["parts_per_message"], sms_first["sms"]["parts"]) == (2, 4)
        assert sms_first["sms"]["cost"] == "10.00"
        latin = client.post(
            url, json={"message": "Autumn sale", "channels": ["sms"]}, headers=auth(world.key)
        ).json()
        assert latin["sms"]["encoding"] == "GSM-7"

    def test_preview_of_another_merchants_program_is_404(
        self, app: FastAPI, client: TestClient
    ) -> None:
        world = mixed_world(app, client)
        other = new_merchant(app, "Other")
        url = f"/api/v1/programs/{world.program['id']}/campaigns/preview"
        assert client.post(url, json={"message": "x"}, headers=auth(other)).status_code == 404


class TestHistory:
    def test_member_messages_show_the_delivery_status(
        self, app: FastAPI, client: TestClient
    ) -> None:
        world = mixed_world(app, client)
        create_campaign(client, world)
        jobs(app)
        with FakeSmsRu() as fake:
            sender(app, Clock(), sms=SmsRu(fake.api_id, sender=None, url=fake.url)).run_once()
            provider_id = fake.sent[0].id
        url = f"/api/v1/members/{world.ids['sms']}/messages"
        items = client.get(url, headers=auth(world.key)).json()["items"]
        assert [(m["channel"], m["status"], m["segments"]) for m in items] == [("sms", "sent", 1)]
        with Session(app.state.engine) as session, session.begin():
            assert messaging_service.record_delivery(
                session, provider="smsru", provider_id=provider_id, status=Status.delivered,
                now=utcnow(),
            )  # fmt: skip
        page = client.get(url, headers=auth(world.key)).json()
        assert page["items"][0]["status"] == "delivered"
        assert page["total"] == 1
        email = client.get(f"/api/v1/members/{world.ids['email']}/messages",
                           headers=auth(world.key)).json()  # fmt: skip
        assert [m["status"] for m in email["items"]] == ["queued"]  # no mail server configured
        other = new_merchant(app, "Other")
        assert client.get(url, headers=auth(other)).status_code == 404


@dataclass
class DiesAfter:
    """A provider that delivers ``sends`` messages, then the process dies (during the next
    send, before it reaches the provider)."""

    inner: SmsProvider
    sends: int

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def supports_idempotency(self) -> bool:
        return self.inner.supports_idempotency

    def send(self, sms: Sms) -> SendResult:
        if self.sends == 0:
            raise Killed
        self.sends -= 1
        return self.inner.send(sms)

    def close(self) -> None:
        return None


class TestKilledSender:
    def test_resumes_without_repeats(self, app: FastAPI, client: TestClient) -> None:
        key = new_merchant(app)
        program = new_program(client, key)
        phones = [f"+7916777{i:04d}" for i in range(12)]
        for phone in phones:
            member = enrol(client, key, program["id"], phone=phone)
            grant(app, UUID(member["id"]), Channel.sms)
        created = client.post(
            f"/api/v1/programs/{program['id']}/campaigns",
            json={"name": "Sale", "message": "Sale -20%", "channels": ["sms"]},
            headers=auth(key),
        ).json()
        jobs(app)
        clock = Clock()
        with FakeSmsRu() as fake:
            provider = SmsRu(fake.api_id, sender=None, url=fake.url)
            first = sender(app, clock, sms=DiesAfter(provider, sends=5))
            with pytest.raises(Killed):
                first.run_once()
            assert len(fake.sent) == 5
            clock.now += timedelta(seconds=first.lease.total_seconds() + 1)
            second = sender(app, clock, sms=provider)
            while second.run_once().claimed:
                pass
            sent = sorted(s.to for s in fake.sent)
        assert len(sent) == len(set(sent)) == 11  # none twice
        with Session(app.state.engine) as session:
            rows = session.exec(
                select(Message).where(col(Message.campaign_id) == UUID(created["id"]))
            ).all()
        # The one in flight when the sender died is in doubt (SMS.ru takes no idempotency
        # key): failed, never repeated. Every message the dead sender had claimed but not
        # started is sent by the next one.
        assert sorted(r.status for r in rows) == [Status.failed] + [Status.sent] * 11
        doubtful = next(r for r in rows if r.status == Status.failed)
        assert (doubtful.error or "").startswith("outcome unknown")
        assert doubtful.recipient.lstrip("+") not in sent
