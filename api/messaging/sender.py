"""The message sender: claims due messages in one short transaction, sends each through its
channel with no transaction open, and records each answer in its own short transaction (so a
crash leaves at most the message in flight in doubt; ``dispatch`` says what happens to it).
It runs as a polling thread in the service or in ``loyalpass worker``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from jinja2 import Environment, TemplateError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.clock import utcnow
from api.db import reading
from api.logs import bound_request_id
from api.messaging import dispatch, repository
from api.messaging.channels import Outcome, SendResult, Sms, SmsProvider
from api.messaging.links import messaging_secret, unsubscribe_url
from api.messaging.mail import Brand, build_email, message_templates, render_email, render_sms
from api.messaging.models import Channel, Kind, Status
from api.messaging.policy import MarketingPolicy
from api.messaging.service import SendPolicy
from api.messaging.smsru import SmsRu
from api.messaging.smtp import SmtpConfig, SmtpMailer
from api.messaging.twilio import TWILIO_STATUS_PATH, Twilio
from api.polling import PollingThread
from api.settings import Settings
from passes import CardDesign

logger = logging.getLogger(__name__)


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass
class MessageSender:
    """``mailer`` and ``sms`` are the configured channels (None: that channel is off, and
    its messages wait in the outbox). ``secret`` signs the unsubscribe links."""

    engine: Engine
    templates: Environment
    designs: Mapping[str, CardDesign]
    public_url: str
    secret: bytes
    mailer: SmtpMailer | None = None
    mail_from: str = ""
    sms: SmsProvider | None = None
    batch_size: int = 100
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    policy: SendPolicy | None = None
    clock: Callable[[], datetime] = utcnow

    @property
    def channels(self) -> list[Channel]:
        return [c for c, on in ((Channel.email, self.mailer), (Channel.sms, self.sms)) if on]

    @property
    def idempotent(self) -> list[Channel]:
        return [Channel.sms] if self.sms is not None and self.sms.supports_idempotency else []

    def has_work(self) -> bool:
        with reading(self.engine) as session:
            return repository.has_due(session, now=self.clock(), channels=self.channels)

    def run_once(self) -> SendReport:
        """Claim one batch and send it."""
        report = SendReport()
        with Session(self.engine) as session, session.begin():
            claimed = dispatch.claim(
                session,
                now=self.clock(),
                lease=self.lease,
                limit=self.batch_size,
                channels=self.channels,
                idempotent=self.idempotent,
                policy=self.policy,
            )
        report.claimed = len(claimed)
        for message in claimed:
            with bound_request_id(message.request_id):  # logged as the request that queued it
                status = self._send_one(message)
            if status is not None:
                report.by_status[status] = report.by_status.get(status, 0) + 1
            report.sent += status == Status.sent
            report.retried += status == Status.queued
            report.failed += status in (Status.failed, Status.bounced)
        return report

    def _send_one(self, message: dispatch.Claimed) -> Status | None:
        """Start, send and record one message; its status (None: another sender has it)."""
        with Session(self.engine) as session, session.begin():
            if not dispatch.start(session, message, now=self.clock()):
                return None  # the lease ran out and another sender has it
        provider, result = self.send(message)
        with Session(self.engine) as session, session.begin():
            return dispatch.record(
                session,
                message,
                result,
                provider=provider,
                now=self.clock(),
                max_attempts=self.max_attempts,
            )

    def send(self, message: dispatch.Claimed) -> tuple[str, SendResult]:
        """Render and send one claimed message; the provider's name and its answer."""
        brand = Brand.of(message.program_name, self.designs.get(message.design))
        try:
            if message.channel == Channel.email and self.mailer is not None:
                return self.mailer.name, self.mailer.send(self._email(message, brand))
            if message.channel == Channel.sms and self.sms is not None:
                text = render_sms(
                    self.templates, message.template, message.locale, message.context, brand
                )
                sms = Sms(message.recipient, text, message.idempotency_key)
                return self.sms.name, self.sms.send(sms)
        except TemplateError as exc:
            logger.error("message template failed", extra={"template": message.template})
            return "template", SendResult(Outcome.failed, error=f"template: {exc}"[:300])
        return "none", SendResult(Outcome.retry, error=f"channel {message.channel} is off")

    def _email(self, message: dispatch.Claimed, brand: Brand) -> EmailMessage:
        link = None
        if message.kind == Kind.marketing:
            link = unsubscribe_url(self.public_url, self.secret, message.member_id, Channel.email)
        rendered = render_email(
            self.templates,
            message.template,
            message.locale,
            message.context,
            brand,
            unsubscribe_url=link,
        )
        return build_email(
            rendered,
            sender=self.mail_from,
            to=message.recipient,
            brand=brand,
            idempotency_key=message.idempotency_key,
            unsubscribe_url=link,
        )

    def start_thread(self) -> PollingThread:
        """A started polling thread that sends due messages (closes the channels on stop)."""
        thread = PollingThread(
            "messages", has_work=self.has_work, run_once=self.run_once, on_stop=self.close
        )
        thread.start()
        return thread

    def close(self) -> None:
        if self.mailer is not None:
            self.mailer.close()
        if self.sms is not None:
            self.sms.close()


def sms_provider(settings: Settings) -> SmsProvider | None:
    """The configured SMS provider, or None (``LOYALPASS_SMS_PROVIDER`` unset)."""
    if settings.sms_provider == "smsru" and settings.smsru_api_id is not None:
        return SmsRu(
            settings.smsru_api_id.get_secret_value(),
            sender=settings.sms_sender,
            url=settings.smsru_url,
        )
    if settings.sms_provider == "twilio" and settings.twilio_auth_token is not None:
        if not settings.twilio_account_sid or not settings.sms_sender:
            raise RuntimeError("Twilio needs LOYALPASS_TWILIO_ACCOUNT_SID and LOYALPASS_SMS_SENDER")
        return Twilio(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            sender=settings.sms_sender,
            url=settings.twilio_url,
            status_callback=f"{settings.public_url}{TWILIO_STATUS_PATH}",
        )
    if settings.sms_provider is not None:
        raise RuntimeError(f"SMS provider {settings.sms_provider} has no credentials set")
    return None


def build_sender(
    engine: Engine, settings: Settings, designs: Mapping[str, CardDesign]
) -> MessageSender | None:
    """The sender of the configured channels, or None when neither email nor SMS is set."""
    mailer = None
    if settings.smtp_host:
        password = settings.smtp_password
        mailer = SmtpMailer(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                security=settings.smtp_security,
                username=settings.smtp_username,
                password=password.get_secret_value() if password else None,
                ca_file=settings.smtp_ca_file,
            )
        )
    sms = sms_provider(settings)
    if mailer is None and sms is None:
        return None
    return MessageSender(
        engine,
        message_templates(settings.templates_dir),
        designs,
        public_url=settings.public_url,
        secret=messaging_secret(settings),
        mailer=mailer,
        mail_from=settings.smtp_from or f"loyalpass@{settings.smtp_host}",
        sms=sms,
        lease=timedelta(seconds=settings.message_lease_seconds),
        max_attempts=settings.message_max_attempts,
        policy=MarketingPolicy(),
    )
