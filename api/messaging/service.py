"""Messages and consent, session first: queue a message in the caller's transaction, record
consent per channel and purpose, unsubscribe by a signed link, record delivery reports.

Marketing needs the member's latest marketing consent for the channel to be a grant; service
messages (a code, the card link) need none. Quiet hours and frequency caps plug in as a
``SendPolicy`` the sender asks before each marketing message.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlmodel import Session

from api.db import insert_unless_conflict
from api.members import service as member_service
from api.members.models import Member
from api.messaging import repository
from api.messaging.errors import UnsubscribeLinkInvalid
from api.messaging.links import read_unsubscribe_token
from api.messaging.models import Channel, ChannelConsent, Kind, Message, Purpose, Status

logger = logging.getLogger(__name__)


class SendPolicy(Protocol):
    """Asked before a marketing message goes out: None sends it now, a time defers it until
    then (quiet hours in the program's time zone, a per-member frequency cap)."""

    def defer_until(
        self, session: Session, message: Message, *, now: datetime
    ) -> datetime | None: ...


def recipient_of(member: Member, channel: Channel) -> str | None:
    return member.email if channel == Channel.email else member.phone


def enqueue(
    session: Session,
    *,
    member: Member,
    channel: Channel,
    kind: Kind,
    template: str,
    locale: str,
    context: dict[str, Any],
    idempotency_key: str,
    now: datetime,
    campaign_id: UUID | None = None,
) -> bool:
    """Queue one message in the caller's transaction; the sender sends it after commit.

    False when it is not queued: the member has no address on that channel, it is marketing
    without the member's consent, or the key was queued before (then nothing changes: a
    retried request or a resumed campaign queues each message once).
    """
    recipient = recipient_of(member, channel)
    if recipient is None:
        return False
    if kind == Kind.marketing and not has_consent(session, member.id, channel, Purpose.marketing):
        return False
    message = Message(
        merchant_id=member.merchant_id,
        member_id=member.id,
        program_id=member.program_id,
        channel=channel,
        kind=kind,
        template=template,
        locale=locale,
        recipient=recipient,
        context=context,
        idempotency_key=idempotency_key,
        campaign_id=campaign_id,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    return insert_unless_conflict(session, message)


def has_consent(session: Session, member_id: UUID, channel: Channel, purpose: Purpose) -> bool:
    """Service messages are allowed unless withdrawn; marketing only once granted."""
    latest = repository.latest_consent(session, member_id, channel, purpose)
    if latest is None:
        return purpose == Purpose.service
    return latest.is_granted


def marketing_consents(
    session: Session, member_id: UUID
) -> list[tuple[Channel, ChannelConsent | None]]:
    """Each channel with the member's latest marketing consent row (None: never asked)."""
    return [
        (channel, repository.latest_consent(session, member_id, channel, Purpose.marketing))
        for channel in Channel
    ]


def record_consent(
    session: Session,
    *,
    member: Member,
    channel: Channel,
    purpose: Purpose,
    is_granted: bool,
    source: str,
    now: datetime,
    text_version: str | None = None,
    store_id: UUID | None = None,
) -> ChannelConsent:
    """Append a grant or withdrawal (the log keeps every change; the latest counts)."""
    consent = ChannelConsent(
        merchant_id=member.merchant_id,
        member_id=member.id,
        channel=channel,
        purpose=purpose,
        is_granted=is_granted,
        text_version=text_version,
        source=source,
        store_id=store_id,
        recorded_at=now,
    )
    session.add(consent)
    session.flush()
    return consent


def unsubscribe(
    session: Session, token: str, *, secret: bytes, now: datetime, source: str = "unsubscribe_link"
) -> ChannelConsent:
    """Withdraw the marketing consent a signed link names (again is harmless).

    Raises:
        UnsubscribeLinkInvalid: the token is not one we signed, or its member is gone.
    """
    found = read_unsubscribe_token(secret, token)
    member = session.get(Member, found[0]) if found else None
    if found is None or member is None:
        raise UnsubscribeLinkInvalid()
    return withdraw_marketing(session, member, found[1], source=source, now=now)


def record_delivery(
    session: Session,
    *,
    provider: str,
    provider_id: str,
    status: Status,
    now: datetime,
    error: str | None = None,
) -> bool:
    """A provider's later report on a sent message (delivered, failed, bounced); True when
    the message was found. A report never moves a message back to sending."""
    message = repository.by_provider_id(session, provider, provider_id)
    if message is None or message.status in (Status.queued, Status.claimed, Status.sending):
        return False
    message.status = status
    message.updated_at = now
    if error:
        message.error = error[:300]
    session.add(message)
    return True


STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "СТОП", "ОТПИСКА", "ОТПИСАТЬСЯ"}
)


def is_stop_reply(text: str) -> bool:
    """A reply that asks for no more messages (the whole reply is one stop word)."""
    return text.strip().strip(".!").upper() in STOP_WORDS


def stop_by_reply(session: Session, *, phone: str, text: str, now: datetime) -> int:
    """A member replied to an SMS (where the provider reports replies, or Twilio's error 21610
    says the number opted out): a stop word withdraws the SMS marketing consent of every member
    with that phone. Returns how many members it stopped."""
    if not is_stop_reply(text):
        return 0
    members = repository.members_by_phone(session, phone)
    for member in members:
        withdraw_sms_marketing(session, member, now=now)
    return len(members)


def withdraw_sms_marketing(session: Session, member: Member, *, now: datetime) -> None:
    """The number replied STOP or opted out at the provider: no more SMS marketing."""
    withdraw_marketing(session, member, Channel.sms, source="sms_stop", now=now)


def withdraw_marketing(
    session: Session, member: Member, channel: Channel, *, source: str, now: datetime
) -> ChannelConsent:
    """Withdraw the member's marketing consent on ``channel`` (a change of their profile:
    the ``member.updated`` webhook says so)."""
    consent = record_consent(
        session, member=member, channel=channel, purpose=Purpose.marketing,
        is_granted=False, source=source, now=now,
    )  # fmt: skip
    member_service.updated(session, member, {"consent": {
        "channel": str(channel), "purpose": str(Purpose.marketing), "is_granted": False,
        "source": source,
    }})  # fmt: skip
    return consent
