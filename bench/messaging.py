"""Email and SMS throughput of the messages outbox against local servers: the test SMTP
server (aiosmtpd, STARTTLS + AUTH) and the SMS.ru and Twilio fakes. For each channel, the
baseline in the same run is the bare channel (the same client calling the same server in a
loop, no database); the outbox series queues the messages and drains them with one sender
(claim a batch, send each, record each answer in its own transaction).

Run: .venv/bin/python bench/messaging.py [--messages 500] [--database sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import Session  # noqa: E402

from api.clock import utcnow  # noqa: E402
from api.db import make_engine, migrate  # noqa: E402
from api.members.models import Member  # noqa: E402
from api.merchants.models import Merchant  # noqa: E402
from api.messaging import service  # noqa: E402
from api.messaging.channels import Sms, SmsProvider  # noqa: E402
from api.messaging.links import DEVELOPMENT_SECRET  # noqa: E402
from api.messaging.mail import Brand, build_email, message_templates, render_email  # noqa: E402
from api.messaging.models import Channel, Kind  # noqa: E402
from api.messaging.sender import MessageSender  # noqa: E402
from api.messaging.smsru import SmsRu  # noqa: E402
from api.messaging.smtp import SmtpConfig, SmtpMailer  # noqa: E402
from api.messaging.twilio import Twilio  # noqa: E402
from api.programs.models import Program, ProgramKind  # noqa: E402
from passes import load_designs  # noqa: E402
from tests.support.fake_sms import FakeSmsRu, FakeTwilio  # noqa: E402
from tests.support.postgres import start_postgres  # noqa: E402
from tests.support.smtp import PASSWORD, USERNAME, SmtpServer  # noqa: E402

TEMPLATES = ROOT / "templates"


def seed(engine: object, count: int) -> list[Member]:
    with Session(engine) as session, session.begin():  # type: ignore[arg-type]
        merchant = Merchant(name="Bench")
        session.add(merchant)
        session.flush()
        program = Program(
            merchant_id=merchant.id,
            name="Coffee Club",
            slug="bench",
            kind=ProgramKind.points,
            design="coffee",
        )
        session.add(program)
        session.flush()
        members = [
            Member(
                merchant_id=merchant.id,
                program_id=program.id,
                name=f"Member {n}",
                phone=f"+7916{n:07d}",
                email=f"m{n}@example.com",
                referral_code=uuid4().hex[:12],
            )
            for n in range(count)
        ]
        session.add_all(members)
        session.flush()
        session.expunge_all()
    return members


def queue(engine: object, members: list[Member], channel: Channel, run: str) -> None:
    with Session(engine) as session, session.begin():  # type: ignore[arg-type]
        for member in members:
            service.enqueue(
                session,
                member=member,
                channel=channel,
                kind=Kind.service,
                template="card_link",
                locale="ru",
                idempotency_key=f"{run}:{member.id}",
                context={"name": member.name, "card_url": "https://c.example/c/1"},
                now=utcnow(),
            )


def drain(sender: MessageSender) -> tuple[int, float]:
    started, sent = time.perf_counter(), 0
    while (report := sender.run_once()).claimed:
        sent += report.sent
    return sent, time.perf_counter() - started


def bare_email(mailer: SmtpMailer, members: list[Member]) -> float:
    templates, brand = message_templates(TEMPLATES), Brand("Coffee Club")
    started = time.perf_counter()
    for member in members:
        rendered = render_email(
            templates,
            "card_link",
            "ru",
            {"name": member.name, "card_url": "https://c.example/c/1"},
            brand,
        )
        mailer.send(
            build_email(
                rendered,
                sender="cards@example.com",
                to=member.email or "",
                brand=brand,
                idempotency_key=str(member.id),
                unsubscribe_url=None,
            )
        )
    return time.perf_counter() - started


def bare_sms(provider: SmsProvider, members: list[Member]) -> float:
    started = time.perf_counter()
    for member in members:
        provider.send(Sms(member.phone or "", "Coffee Club: ваша карта https://c.example/c/1", "k"))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-messaging-"))
    postgres = start_postgres() if args.database == "postgresql" else None
    url = postgres.create_database("bench_messaging") if postgres else f"sqlite:///{work}/b.db"
    engine = make_engine(url)
    migrate(engine, ROOT / "migrations")
    members = seed(engine, args.messages)
    designs = load_designs(TEMPLATES / "cards")
    rows: list[tuple[str, float, float]] = []
    with SmtpServer(work) as smtp, FakeSmsRu(balance=1e9) as smsru, FakeTwilio() as twilio:
        config = SmtpConfig("127.0.0.1", smtp.port, "starttls", USERNAME, PASSWORD, smtp.ca_file)
        providers: dict[str, SmsProvider] = {
            "SMS (SMS.ru fake)": SmsRu(smsru.api_id, sender="CoffeeCo", url=smsru.url),
            "SMS (Twilio fake)": Twilio(
                twilio.account_sid, twilio.auth_token, sender=twilio.numbers[0], url=twilio.url
            ),
        }
        mailer = SmtpMailer(config)
        bare = bare_email(mailer, members)
        mailer.close()
        sender = MessageSender(
            engine,
            message_templates(TEMPLATES),
            designs,
            public_url="https://c.example",
            secret=DEVELOPMENT_SECRET,
            mailer=SmtpMailer(config),
            mail_from="cards@example.com",
        )
        queue(engine, members, Channel.email, "email")
        sent, outbox = drain(sender)
        sender.close()
        assert sent == len(members), sent
        rows.append(("email (SMTP, STARTTLS + AUTH)", len(members) / bare, sent / outbox))
        for run, (label, provider) in enumerate(providers.items()):
            bare = bare_sms(provider, members)
            sender = MessageSender(
                engine,
                message_templates(TEMPLATES),
                designs,
                public_url="https://c.example",
                secret=DEVELOPMENT_SECRET,
                sms=provider,
            )
            queue(engine, members, Channel.sms, f"sms{run}")
            sent, outbox = drain(sender)
            assert sent == len(members), sent
            rows.append((label, len(members) / bare, sent / outbox))
    print(f"{args.messages} messages per series, database {args.database}")
    print("| channel | bare channel (msg/s) | through the outbox (msg/s) | outbox / bare |")
    print("|---|---:|---:|---:|")
    for label, bare_rate, outbox_rate in rows:
        print(
            f"| {label} | {bare_rate:,.0f} | **{outbox_rate:,.0f}** | "
            f"{outbox_rate / bare_rate:.0%} |"
        )
    if postgres:
        postgres.stop()


if __name__ == "__main__":
    main()
