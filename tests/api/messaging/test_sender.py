"""The messages outbox and its sender, on both databases: queued once per idempotency key,
sent through a real SMTP server and the SMS fakes, retried with backoff through an outage
and never dropped, resumed after a crash without repeats, and marketing only with consent."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from api.clock import utcnow
from api.members.models import Member
from api.messaging import dispatch, service
from api.messaging.channels import SendResult, Sms, SmsProvider
from api.messaging.errors import UnsubscribeLinkInvalid
from api.messaging.links import DEVELOPMENT_SECRET, unsubscribe_token
from api.messaging.mail import message_templates
from api.messaging.models import Channel, Kind, Message, Purpose, Status
from api.messaging.sender import MessageSender
from api.messaging.smsru import SmsRu
from api.messaging.smtp import SmtpConfig, SmtpMailer
from api.messaging.twilio import Twilio
from tests.support.factories import enrol, new_merchant, new_program
from tests.support.fake_sms import FakeSmsRu, FakeTwilio
from tests.support.smtp import PASSWORD, USERNAME, SmtpServer

pytestmark = pytest.mark.db
TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


class Crash(BaseException):
    """The sender process dies (after the provider accepted, before the answer is stored)."""


@dataclass
class Clock:
    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class KeyedProvider:
    """An SMS provider that takes an idempotency key and drops a repeated one."""

    name: str = "keyed"
    supports_idempotency: bool = True
    delivered: list[Sms] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    crash_after_send: bool = False

    def send(self, sms: Sms) -> SendResult:
        from api.messaging.channels import Outcome

        if sms.idempotency_key not in self.keys:
            self.keys.add(sms.idempotency_key)
            self.delivered.append(sms)
        if self.crash_after_send:
            self.crash_after_send = False
            raise Crash
        return SendResult(Outcome.sent, provider_id=f"id-{sms.idempotency_key}")

    def close(self) -> None:
        return None


@dataclass
class CrashAfter:
    """Wraps a real provider: the first send reaches it, then the sender dies."""

    inner: SmsProvider
    crashes: int = 1

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def supports_idempotency(self) -> bool:
        return self.inner.supports_idempotency

    def send(self, sms: Sms) -> SendResult:
        result = self.inner.send(sms)
        if self.crashes:
            self.crashes -= 1
            raise Crash
        return result

    def close(self) -> None:
        return None


@pytest.fixture
def members(app: FastAPI, client: TestClient) -> list[Member]:
    key = new_merchant(app)
    program = new_program(client, key, design="coffee")
    ids = [
        enrol(
            client, key, program["id"], name="Anna", phone="+79161234567", email="anna@example.com"
        )["id"],
        enrol(client, key, program["id"], name="Boris", phone="+79161234568")["id"],
    ]
    with Session(app.state.engine) as session:
        found = [session.get(Member, UUID(i)) for i in ids]
        session.expunge_all()
    return [m for m in found if m is not None]


def queue(
    engine: Engine,
    member: Member,
    channel: Channel,
    *,
    key: str,
    kind: Kind = Kind.service,
    template: str = "card_link",
    **context: Any,
) -> bool:
    values = {"name": member.name, "card_url": "https://cards.example/c/1", **context}
    with Session(engine) as session, session.begin():
        return service.enqueue(
            session,
            member=member,
            channel=channel,
            kind=kind,
            template=template,
            locale="ru",
            context=values,
            idempotency_key=key,
            now=utcnow(),
        )


def grant_marketing(engine: Engine, member: Member, channel: Channel) -> None:
    with Session(engine) as session, session.begin():
        service.record_consent(
            session,
            member=member,
            channel=channel,
            purpose=Purpose.marketing,
            is_granted=True,
            source="join_page",
            text_version="2026-11",
            now=utcnow(),
        )


def messages(engine: Engine) -> list[Message]:
    with Session(engine) as session:
        rows = list(session.exec(select(Message).order_by(Message.idempotency_key)).all())
        session.expunge_all()
    return rows


def sender(app: FastAPI, clock: Clock, **channels: Any) -> MessageSender:
    return MessageSender(
        app.state.engine,
        message_templates(TEMPLATES),
        app.state.designs,
        public_url="https://cards.example",
        secret=DEVELOPMENT_SECRET,
        clock=clock,
        **channels,
    )


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path) as server:
        yield server


def mailer(server: SmtpServer) -> SmtpMailer:
    return SmtpMailer(
        SmtpConfig("127.0.0.1", server.port, "starttls", USERNAME, PASSWORD, server.ca_file)
    )


class TestEnqueue:
    def test_one_message_per_idempotency_key(self, engine: Engine, members: list[Member]) -> None:
        anna = members[0]
        assert queue(engine, anna, Channel.email, key="card-link:anna")
        assert not queue(engine, anna, Channel.email, key="card-link:anna")
        assert len(messages(engine)) == 1

    def test_no_address_no_message(self, engine: Engine, members: list[Member]) -> None:
        assert not queue(engine, members[1], Channel.email, key="boris")
        assert messages(engine) == []

    def test_marketing_needs_consent(self, engine: Engine, members: list[Member]) -> None:
        anna = members[0]
        assert not queue(
            engine,
            anna,
            Channel.sms,
            key="c1",
            kind=Kind.marketing,
            template="campaign",
            text="-20%",
        )
        grant_marketing(engine, anna, Channel.sms)
        assert queue(
            engine,
            anna,
            Channel.sms,
            key="c2",
            kind=Kind.marketing,
            template="campaign",
            text="-20%",
        )
        assert not queue(
            engine,
            anna,
            Channel.email,
            key="c3",
            kind=Kind.marketing,
            template="campaign",
            text="-20%",
        )  # consent is per channel


class TestSend:
    def test_email_and_sms_reach_the_member(
        self, app: FastAPI, engine: Engine, members: list[Member], smtp: SmtpServer
    ) -> None:
        anna = members[0]
        queue(engine, anna, Channel.email, key="a-email")
        queue(engine, anna, Channel.sms, key="b-sms")
        clock = Clock()
        with FakeSmsRu() as fake:
            job = sender(
                app,
                clock,
                mailer=mailer(smtp),
                mail_from="cards@example.com",
                sms=SmsRu(fake.api_id, sender="CoffeeCo", url=fake.url),
            )
            report = job.run_once()
            again = job.run_once()
            job.close()
        assert (report.claimed, report.sent, again.claimed) == (2, 2, 0), [
            r.error for r in messages(engine)
        ]
        email = smtp.messages[0]
        assert email["To"] == "anna@example.com"
        html = email.get_body(("html",))
        assert html is not None
        assert "https://cards.example/c/1" in html.get_content()
        assert app.state.designs["coffee"].background.hex in html.get_content()
        assert email["List-Unsubscribe"] is None  # a service message
        assert [s.text for s in fake.sent] == ["Coffee Club: ваша карта https://cards.example/c/1"]
        rows = messages(engine)
        assert [(r.status, r.attempts) for r in rows] == [(Status.sent, 1), (Status.sent, 1)]
        assert rows[1].provider_id == fake.sent[0].id
        assert rows[1].segments == 1

    def test_unsubscribe_link_stops_marketing(
        self, app: FastAPI, engine: Engine, members: list[Member], smtp: SmtpServer
    ) -> None:
        anna = members[0]
        grant_marketing(engine, anna, Channel.email)
        queue(
            engine,
            anna,
            Channel.email,
            key="m1",
            kind=Kind.marketing,
            template="campaign",
            text="Скидка 20%",
            subject="Пятница",
        )
        clock = Clock()
        job = sender(app, clock, mailer=mailer(smtp), mail_from="cards@example.com")
        job.run_once()
        email = smtp.messages[0]
        assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = str(email["List-Unsubscribe"]).strip("<>")
        token = url.rsplit("/", 1)[1]
        assert url == f"https://cards.example/unsubscribe/{token}"
        queue(
            engine,
            anna,
            Channel.email,
            key="m2",
            kind=Kind.marketing,
            template="campaign",
            text="Ещё скидка",
        )  # queued before the unsubscribe
        with Session(engine) as session, session.begin():
            service.unsubscribe(session, token, secret=DEVELOPMENT_SECRET, now=utcnow())
        assert not queue(
            engine,
            anna,
            Channel.email,
            key="m3",
            kind=Kind.marketing,
            template="campaign",
            text="x",
        )
        clock.advance(60)
        job.run_once()
        job.close()
        assert len(smtp.messages) == 1
        assert [(r.idempotency_key, r.status) for r in messages(engine)] == [
            ("m1", Status.sent),
            ("m2", Status.failed),
        ]
        with Session(engine) as session:
            assert not service.has_consent(session, anna.id, Channel.email, Purpose.marketing)
            assert service.has_consent(session, anna.id, Channel.email, Purpose.service)

    def test_forged_or_tampered_links_are_refused(
        self, engine: Engine, members: list[Member]
    ) -> None:
        token = unsubscribe_token(DEVELOPMENT_SECRET, members[0].id, Channel.email)
        other = unsubscribe_token(b"another secret", members[0].id, Channel.email)
        flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
        with Session(engine) as session:
            for bad in (other, flipped, token[:-1], "", "x" * 44):
                with pytest.raises(UnsubscribeLinkInvalid):
                    service.unsubscribe(session, bad, secret=DEVELOPMENT_SECRET, now=utcnow())


class TestOutage:
    def test_retries_with_backoff_until_the_provider_is_back(
        self, app: FastAPI, engine: Engine, members: list[Member]
    ) -> None:
        queue(engine, members[0], Channel.sms, key="k")
        clock = Clock()
        with FakeSmsRu() as fake:
            fake.fail_next(3)
            job = sender(app, clock, sms=SmsRu(fake.api_id, sender=None, url=fake.url))
            delays = []
            for _ in range(3):
                assert job.run_once().retried == 1
                row = messages(engine)[0]
                delays.append((row.next_attempt_at - clock.now).total_seconds())
                assert job.run_once().claimed == 0  # not due yet
                clock.advance(delays[-1] + 1)
            assert job.run_once().sent == 1
        assert 24 <= delays[0] <= 36
        assert 48 <= delays[1] <= 72
        assert 96 <= delays[2] <= 144
        assert len(fake.sent) == 1
        row = messages(engine)[0]
        assert (row.status, row.attempts, row.provider_id) == (Status.sent, 4, fake.sent[0].id)

    def test_after_the_budget_it_fails_loudly_never_silently(
        self, app: FastAPI, engine: Engine, members: list[Member], caplog: pytest.LogCaptureFixture
    ) -> None:
        queue(engine, members[0], Channel.sms, key="k")
        clock = Clock()
        with FakeSmsRu() as fake, caplog.at_level(logging.ERROR, "api.messaging"):
            fake.fail_next(10)
            job = sender(
                app, clock, sms=SmsRu(fake.api_id, sender=None, url=fake.url), max_attempts=3
            )
            for _ in range(5):
                job.run_once()
                clock.advance(4000)
        row = messages(engine)[0]
        assert row.status == Status.failed
        assert row.attempts == 3
        assert fake.requests == 3
        assert (row.error or "").startswith("gave up after 3 attempts: smsru: HTTP 503")
        assert "message failed after every attempt" in caplog.text


class TestCrash:
    def crash_once(self, job: MessageSender) -> None:
        with pytest.raises(Crash):
            job.run_once()

    def test_idempotent_provider_is_sent_again_and_drops_the_repeat(
        self, app: FastAPI, engine: Engine, members: list[Member]
    ) -> None:
        anna = members[0]
        grant_marketing(engine, anna, Channel.sms)
        queue(
            engine,
            anna,
            Channel.sms,
            key="campaign:1:anna",
            kind=Kind.marketing,
            template="campaign",
            text="-20%",
        )
        provider = KeyedProvider(crash_after_send=True)
        clock = Clock()
        job = sender(app, clock, sms=provider)
        self.crash_once(job)
        assert messages(engine)[0].status == Status.sending
        assert job.run_once().claimed == 0  # the lease still holds
        clock.advance(job.lease.total_seconds() + 1)
        assert job.run_once().sent == 1
        assert [s.idempotency_key for s in provider.delivered] == ["campaign:1:anna"]
        assert messages(engine)[0].status == Status.sent

    def test_without_keys_marketing_in_doubt_is_not_repeated(
        self,
        app: FastAPI,
        engine: Engine,
        members: list[Member],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        anna = members[0]
        grant_marketing(engine, anna, Channel.sms)
        queue(
            engine,
            anna,
            Channel.sms,
            key="campaign",
            kind=Kind.marketing,
            template="campaign",
            text="-20%",
        )
        queue(engine, anna, Channel.sms, key="code", template="verification_code", code="123456")
        clock = Clock()
        with FakeTwilio() as fake, caplog.at_level(logging.ERROR, "api.messaging"):
            twilio = Twilio(fake.account_sid, fake.auth_token, sender=fake.numbers[0], url=fake.url)
            self.crash_once(sender(app, clock, sms=CrashAfter(twilio), batch_size=1))
            self.crash_once(sender(app, clock, sms=CrashAfter(twilio), batch_size=1))
            clock.advance(300)
            sender(app, clock, sms=twilio).run_once()
        by_key = {r.idempotency_key: r for r in messages(engine)}
        assert by_key["campaign"].status == Status.failed
        assert by_key["campaign"].error == dispatch.IN_DOUBT
        assert "message outcome unknown after a sender crash" in caplog.text
        # A code is sent again: a duplicate costs little, a lost one locks the member out.
        assert by_key["code"].status == Status.sent
        texts = [s.text for s in fake.sent]
        assert sum("-20%" in t for t in texts) == 1
        assert sum("123456" in t for t in texts) == 2


class TestConcurrentSenders:
    def test_each_message_is_sent_once(
        self, app: FastAPI, engine: Engine, members: list[Member]
    ) -> None:
        for n in range(60):
            queue(engine, members[n % 2], Channel.sms, key=f"k{n:03d}")
        clock = Clock()
        with FakeSmsRu() as fake:
            jobs = [
                sender(app, clock, sms=SmsRu(fake.api_id, sender=None, url=fake.url), batch_size=7)
                for _ in range(4)
            ]
            barrier = threading.Barrier(len(jobs))
            errors: list[BaseException] = []

            def drain(job: MessageSender) -> None:
                barrier.wait()
                try:
                    while job.run_once().claimed:
                        pass
                except BaseException as exc:  # surfaced below
                    errors.append(exc)

            threads = [threading.Thread(target=drain, args=(j,)) for j in jobs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
        assert errors == []
        assert len(fake.sent) == 60
        rows = messages(engine)
        assert {r.status for r in rows} == {Status.sent}
        assert {r.attempts for r in rows} == {1}


class TestStop:
    def test_a_stop_reply_withdraws_sms_marketing(
        self, engine: Engine, members: list[Member]
    ) -> None:
        anna = members[0]
        grant_marketing(engine, anna, Channel.sms)
        with Session(engine) as session, session.begin():
            assert (
                service.stop_by_reply(session, phone="79161234567", text="hello", now=utcnow()) == 0
            )
            assert (
                service.stop_by_reply(session, phone="79161234567", text=" Стоп ", now=utcnow())
                == 1
            )
        assert not queue(
            engine,
            anna,
            Channel.sms,
            key="c",
            kind=Kind.marketing,
            template="campaign",
            text="-20%",
        )

    def test_provider_opt_out_withdraws_sms_marketing(
        self, app: FastAPI, engine: Engine, members: list[Member]
    ) -> None:
        anna = members[0]
        grant_marketing(engine, anna, Channel.sms)
        queue(
            engine,
            anna,
            Channel.sms,
            key="c1",
            kind=Kind.marketing,
            template="campaign",
            text="-20%",
        )
        with FakeTwilio() as fake:
            fake.unsubscribed.add(anna.phone or "")
            twilio = Twilio(fake.account_sid, fake.auth_token, sender=fake.numbers[0], url=fake.url)
            assert sender(app, Clock(), sms=twilio).run_once().failed == 1
        with Session(engine) as session:
            assert not service.has_consent(session, anna.id, Channel.sms, Purpose.marketing)


@dataclass
class QuietUntil:
    """A send policy (the hook for quiet hours and frequency caps): defer marketing."""

    until: datetime

    def defer_until(self, session: Session, message: Message, *, now: datetime) -> datetime | None:
        return self.until if now < self.until else None


class TestHooks:
    def test_policy_defers_marketing_not_service(
        self, app: FastAPI, engine: Engine, members: list[Member]
    ) -> None:
        anna = members[0]
        grant_marketing(engine, anna, Channel.sms)
        queue(engine, anna, Channel.sms, key="a-code", template="verification_code", code="1")
        queue(
            engine,
            anna,
            Channel.sms,
            key="b-promo",
            kind=Kind.marketing,
            template="campaign",
            text="-20%",
        )
        clock = Clock()
        provider = KeyedProvider()
        job = sender(app, clock, sms=provider, policy=QuietUntil(clock.now + timedelta(hours=8)))
        assert job.run_once().sent == 1
        rows = messages(engine)
        assert [(r.status, r.attempts) for r in rows] == [(Status.sent, 1), (Status.queued, 0)]
        assert rows[1].next_attempt_at == clock.now + timedelta(hours=8)
        clock.advance(8 * 3600)
        assert job.run_once().sent == 1

    def test_delivery_reports(self, app: FastAPI, engine: Engine, members: list[Member]) -> None:
        queue(engine, members[0], Channel.sms, key="k")
        sender(app, Clock(), sms=KeyedProvider()).run_once()
        with Session(engine) as session, session.begin():
            assert service.record_delivery(
                session, provider="keyed", provider_id="id-k", status=Status.delivered, now=utcnow()
            )
            assert not service.record_delivery(
                session, provider="keyed", provider_id="nope", status=Status.delivered, now=utcnow()
            )
        assert messages(engine)[0].status == Status.delivered
