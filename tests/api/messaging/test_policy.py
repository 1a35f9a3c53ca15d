"""The send policy (api/messaging/policy.py) on both databases: marketing waits out the quiet
hours of the program's time zone and the per-member frequency cap across channels, on a
controlled clock; service messages never wait; the sender the service builds uses it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlmodel import Session, col, select

from api.clock import utcnow
from api.members.models import Member
from api.messaging import dispatch, service
from api.messaging.links import DEVELOPMENT_SECRET
from api.messaging.mail import message_templates
from api.messaging.models import Channel, Kind, Message, Purpose, Status
from api.messaging.policy import BUSY_RETRY, MarketingPolicy, cap_until, quiet_until
from api.messaging.sender import MessageSender, build_sender
from api.messaging.smsru import SmsRu
from api.messaging.smtp import SmtpConfig, SmtpMailer
from tests.conftest import make_settings
from tests.support.factories import enrol, new_merchant, new_program
from tests.support.fake_sms import FakeSmsRu
from tests.support.smtp import PASSWORD, USERNAME, SmtpServer

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
MOSCOW = ZoneInfo("Europe/Moscow")  # UTC+3 all year
# 23:30 in Moscow on a Monday: inside the default quiet hours (21:00-09:00).
LATE = datetime(2030, 3, 4, 20, 30, tzinfo=UTC)
# 12:00 in Moscow: outside them.
NOON = datetime(2030, 3, 5, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


class TestQuietHours:
    def test_late_evening_waits_for_nine_next_morning(self) -> None:
        wake = quiet_until(LATE, MOSCOW, time(21), time(9))
        assert wake == datetime(2030, 3, 5, 6, 0, tzinfo=UTC)
        assert wake is not None
        assert wake.astimezone(MOSCOW).time() == time(9)

    def test_early_morning_waits_for_nine_the_same_day(self) -> None:
        at = datetime(2030, 3, 5, 5, 59, tzinfo=UTC)  # 08:59 in Moscow
        assert quiet_until(at, MOSCOW, time(21), time(9)) == datetime(2030, 3, 5, 6, 0, tzinfo=UTC)

    def test_the_edges(self) -> None:
        assert (
            quiet_until(datetime(2030, 3, 5, 6, 0, tzinfo=UTC), MOSCOW, time(21), time(9)) is None
        )
        assert quiet_until(datetime(2030, 3, 5, 18, 0, tzinfo=UTC), MOSCOW, time(21), time(9))
        assert quiet_until(NOON, MOSCOW, time(21), time(9)) is None

    def test_a_window_within_one_day_and_none(self) -> None:
        at = datetime(2030, 3, 5, 0, 0, tzinfo=UTC)  # 03:00 in Moscow
        assert quiet_until(at, MOSCOW, time(1), time(6)) == datetime(2030, 3, 5, 3, tzinfo=UTC)
        assert quiet_until(at, MOSCOW, time(9), time(9)) is None

    def test_the_zone_decides(self) -> None:
        # 23:30 in Moscow is 20:30 in London: not quiet there.
        assert quiet_until(LATE, ZoneInfo("Europe/London"), time(21), time(9)) is None


class TestCap:
    def test_under_the_cap_goes_now(self) -> None:
        assert cap_until([NOON - timedelta(days=1)] * 2, cap=3, now=NOON) is None

    def test_at_the_cap_waits_for_the_oldest_to_age_out(self) -> None:
        sent = [NOON - timedelta(days=6), NOON - timedelta(days=2), NOON - timedelta(hours=1)]
        assert cap_until(sent, cap=3, now=NOON) == NOON + timedelta(days=1)

    def test_older_than_a_week_does_not_count(self) -> None:
        sent = [NOON - timedelta(days=8), NOON - timedelta(days=2), NOON - timedelta(hours=1)]
        assert cap_until(sent, cap=3, now=NOON) is None


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[SmtpServer]:
    with SmtpServer(tmp_path) as server:
        yield server


@pytest.fixture
def fake_sms() -> Iterator[FakeSmsRu]:
    with FakeSmsRu() as fake:
        yield fake


def anna(app: FastAPI, client: TestClient, **messaging: Any) -> Member:
    """A member of a Moscow program who agreed to marketing by email and by SMS."""
    key = new_merchant(app)
    rules = {"timezone": "Europe/Moscow", "messaging": messaging}
    program = new_program(client, key, design="coffee", rules=rules)
    body = enrol(client, key, program["id"], phone="+79161234567", email="anna@example.com")
    with Session(app.state.engine) as session, session.begin():
        member = session.get(Member, UUID(body["id"]))
        assert member is not None
        for channel in Channel:
            service.record_consent(
                session, member=member, channel=channel, purpose=Purpose.marketing,
                is_granted=True, source="join_page", text_version="t", now=utcnow(),
            )  # fmt: skip
        session.expunge(member)
    return member


def queue(engine: Engine, member: Member, channel: Channel, key: str, *, at: datetime,
          kind: Kind = Kind.marketing) -> None:  # fmt: skip
    template = "campaign" if kind == Kind.marketing else "card_link"
    with Session(engine) as session, session.begin():
        assert service.enqueue(
            session, member=member, channel=channel, kind=kind, template=template,
            locale="ru", context={"name": "Anna", "text": "-20%", "card_url": "https://x/c"},
            idempotency_key=key, now=at,
        )  # fmt: skip


def sender(app: FastAPI, clock: Clock, smtp: SmtpServer, sms: FakeSmsRu) -> MessageSender:
    return MessageSender(
        app.state.engine,
        message_templates(TEMPLATES),
        app.state.designs,
        public_url="https://cards.example",
        secret=DEVELOPMENT_SECRET,
        mailer=SmtpMailer(
            SmtpConfig("127.0.0.1", smtp.port, "starttls", USERNAME, PASSWORD, smtp.ca_file)
        ),
        mail_from="cards@example.com",
        sms=SmsRu(sms.api_id, sender="CoffeeCo", url=sms.url),
        clock=clock,
        policy=MarketingPolicy(),
    )


def rows(engine: Engine) -> dict[str, Message]:
    with Session(engine) as session:
        found = {m.idempotency_key: m for m in session.exec(select(Message)).all()}
        session.expunge_all()
    return found


@pytest.mark.db
class TestTheSenderHonoursThePolicy:
    def test_quiet_hours_defer_marketing_to_nine_local_not_service(
        self, app: FastAPI, client: TestClient, smtp: SmtpServer, fake_sms: FakeSmsRu
    ) -> None:
        member = anna(app, client)
        clock = Clock(LATE)
        queue(app.state.engine, member, Channel.sms, "promo", at=LATE)
        queue(app.state.engine, member, Channel.sms, "link", at=LATE, kind=Kind.service)
        job = sender(app, clock, smtp, fake_sms)
        try:
            job.run_once()
            found = rows(app.state.engine)
            assert found["link"].status == Status.sent  # service: at once, quiet or not
            assert found["promo"].status == Status.queued
            nine = found["promo"].next_attempt_at
            assert nine == datetime(2030, 3, 5, 6, 0, tzinfo=UTC)
            assert nine.astimezone(MOSCOW).time() == time(9)
            assert len(fake_sms.sent) == 1
            clock.now = nine - timedelta(minutes=1)
            assert job.run_once().claimed == 0  # not due yet
            clock.now = nine
            assert job.run_once().sent == 1
            assert rows(app.state.engine)["promo"].status == Status.sent
            assert len(fake_sms.sent) == 2
        finally:
            job.close()

    def test_the_program_sets_its_own_quiet_hours(
        self, app: FastAPI, client: TestClient, smtp: SmtpServer, fake_sms: FakeSmsRu
    ) -> None:
        member = anna(app, client, quiet_start="23:45", quiet_end="07:00")
        queue(app.state.engine, member, Channel.sms, "promo", at=LATE)
        job = sender(app, Clock(LATE), smtp, fake_sms)
        try:
            assert job.run_once().sent == 1  # 23:30 is before this program's quiet hours
        finally:
            job.close()

    def test_the_cap_counts_every_channel_and_defers_the_rest(
        self, app: FastAPI, client: TestClient, smtp: SmtpServer, fake_sms: FakeSmsRu
    ) -> None:
        member = anna(app, client)
        engine = app.state.engine
        clock = Clock(NOON)
        for n, channel in enumerate([Channel.email, Channel.sms, Channel.email, Channel.sms]):
            queue(engine, member, channel, f"promo-{n}", at=NOON + timedelta(seconds=n))
        queue(engine, member, Channel.sms, "link", at=NOON, kind=Kind.service)
        clock.now = NOON + timedelta(seconds=5)
        job = sender(app, clock, smtp, fake_sms)
        try:
            report = job.run_once()
            found = rows(engine)
            # three marketing messages (by either channel) and the service one went out
            assert report.sent == 4
            assert found["link"].status == Status.sent
            sent = [k for k, m in found.items() if k != "link" and m.status == Status.sent]
            assert sent == ["promo-0", "promo-1", "promo-2"]
            held = found["promo-3"]
            assert held.status == Status.queued
            assert held.error is None
            assert held.attempts == 0
            assert held.next_attempt_at == clock.now + timedelta(days=7)
            clock.now = held.next_attempt_at - timedelta(seconds=1)
            assert job.run_once().claimed == 0
            clock.now = held.next_attempt_at
            assert job.run_once().sent == 1
        finally:
            job.close()

    def test_a_cap_of_one(
        self, app: FastAPI, client: TestClient, smtp: SmtpServer, fake_sms: FakeSmsRu
    ) -> None:
        member = anna(app, client, max_marketing_per_week=1)
        queue(app.state.engine, member, Channel.email, "a", at=NOON)
        queue(app.state.engine, member, Channel.sms, "b", at=NOON)
        job = sender(app, Clock(NOON), smtp, fake_sms)
        try:
            assert job.run_once().sent == 1
        finally:
            job.close()
        statuses = sorted(m.status for m in rows(app.state.engine).values())
        assert statuses == [Status.queued, Status.sent]

    def test_marketing_without_consent_is_not_queued(
        self, app: FastAPI, client: TestClient
    ) -> None:
        member = anna(app, client)
        with Session(app.state.engine) as session, session.begin():
            service.record_consent(
                session, member=member, channel=Channel.sms, purpose=Purpose.marketing,
                is_granted=False, source="console", now=utcnow(),
            )  # fmt: skip
            assert not service.enqueue(
                session, member=member, channel=Channel.sms, kind=Kind.marketing,
                template="campaign", locale="ru", context={}, idempotency_key="x", now=NOON,
            )  # fmt: skip


@pytest.mark.db
class TestTwoSenders:
    def test_forty_concurrent_claims_send_exactly_the_cap(
        self, app: FastAPI, client: TestClient, database_url: str
    ) -> None:
        """40 senders claim the marketing messages of one member at the same moment: the ones
        that find the member taken look again 10 s later, and when it has all settled exactly
        3 (the cap) were claimed and the other 37 wait a week."""
        if not database_url.startswith("postgresql"):
            pytest.skip("SQLite runs one writing transaction at a time")
        member = anna(app, client)
        for n in range(40):
            queue(app.state.engine, member, Channel.sms, f"promo-{n:02d}", at=NOON)
        engine = create_engine(database_url, pool_size=45, max_overflow=0)
        barrier = threading.Barrier(40)
        errors: list[BaseException] = []

        def claim(at: datetime, limit: int) -> None:
            with Session(engine) as session, session.begin():
                dispatch.claim(
                    session, now=at, lease=timedelta(hours=1), limit=limit,
                    channels=[Channel.sms], policy=MarketingPolicy(),
                )  # fmt: skip

        def sender() -> None:
            try:
                barrier.wait(timeout=60)
                for k in range(4):
                    claim(NOON + k * BUSY_RETRY, 1)
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=sender) for _ in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        claimed_at_once = [m.status for m in rows(app.state.engine).values()]
        assert claimed_at_once.count(Status.claimed) <= 3
        for k in range(4, 40):  # whatever was put off for a busy member is due again
            claim(NOON + k * BUSY_RETRY, 50)
        engine.dispose()
        found = list(rows(app.state.engine).values())
        assert [m.status for m in found].count(Status.claimed) == 3
        waiting = [m for m in found if m.status == Status.queued]
        assert len(waiting) == 37
        assert all(m.next_attempt_at >= NOON + timedelta(days=7) for m in waiting)

    def test_a_member_another_sender_is_deciding_about_waits(
        self, app: FastAPI, client: TestClient, database_url: str
    ) -> None:
        if not database_url.startswith("postgresql"):
            pytest.skip("SQLite runs one writing transaction at a time")
        member = anna(app, client)
        queue(app.state.engine, member, Channel.sms, "promo", at=NOON)
        engine = app.state.engine
        with Session(engine) as first, first.begin():
            first.exec(select(Member).where(col(Member.id) == member.id).with_for_update())
            with Session(engine) as second, second.begin():
                message = second.exec(select(Message)).one()
                later = MarketingPolicy().defer_until(second, message, now=NOON)
        assert later == NOON + BUSY_RETRY


@pytest.mark.db
class TestWiring:
    def test_the_service_sender_uses_the_marketing_policy(
        self, app: FastAPI, database_url: str, pki_dir: Path
    ) -> None:
        with FakeSmsRu() as fake:
            settings = make_settings(
                database_url, pki_dir, sms_provider="smsru", smsru_api_id=fake.api_id,
                smsru_url=fake.url,
            )  # fmt: skip
            built = build_sender(app.state.engine, settings, app.state.designs)
            assert built is not None
            assert isinstance(built.policy, MarketingPolicy)
            built.close()

    def test_the_rules_default_to_nine_to_nine_and_three_a_week(
        self, client: TestClient, app: FastAPI
    ) -> None:
        program = new_program(client, new_merchant(app))
        assert program["rules"]["messaging"] == {
            "quiet_start": "21:00:00",
            "quiet_end": "09:00:00",
            "max_marketing_per_week": 3,
        }

    def test_bad_settings_are_refused(self, client: TestClient, app: FastAPI) -> None:
        from tests.support.factories import auth

        key = new_merchant(app)
        for messaging in ({"quiet_start": "25:00"}, {"max_marketing_per_week": 0}):
            response = client.post(
                "/api/v1/programs",
                json={"name": "P", "kind": "points", "rules": {"messaging": messaging}},
                headers=auth(key),
            )
            assert response.status_code == 422, response.text
