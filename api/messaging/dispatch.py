"""The sender's session-first steps: claim due messages, and record what the channel said.

A claimed message stays ``queued`` with ``attempts`` counted and ``next_attempt_at`` moved a
lease ahead (no other sender takes it meanwhile); just before its send, the sender marks it
``sending`` in its own short transaction (:func:`start`). If the sender dies, the messages it
had claimed but not started become due again when the lease runs out and are sent normally;
only the one it was sending is found still ``sending``: its outcome is unknown. Where the
channel takes an idempotency key (``idempotent``), it is simply sent again with the same key.
Where it does not (SMTP, SMS.ru, Twilio), a service message (a code, the card link) is sent
again, since a duplicate costs little and a lost one locks the member out, while a marketing
message is not: it is marked failed with the reason, logged at ERROR, so a campaign resumed
after a crash repeats nothing.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlmodel import Session

from api.members.models import Member
from api.messaging import repository
from api.messaging.channels import Outcome, SendResult
from api.messaging.models import Channel, Kind, Message, Purpose, Status
from api.messaging.service import SendPolicy, has_consent, withdraw_sms_marketing
from api.programs.models import Program

logger = logging.getLogger(__name__)
IN_DOUBT = "outcome unknown: the sender stopped during the send; not sent again (no duplicate)"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed message, read in the claim's transaction (the send happens outside it)."""

    id: UUID
    attempt: int
    channel: Channel
    kind: Kind
    template: str
    locale: str
    recipient: str
    context: dict[str, Any]
    idempotency_key: str
    member_id: UUID
    program_name: str
    design: str
    request_id: str | None = None  # the request that queued it: the sender logs as it


def claim(
    session: Session,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    channels: Collection[Channel],
    idempotent: Collection[Channel] = (),
    policy: SendPolicy | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` due messages of ``channels`` (those configured) until
    ``now + lease``."""
    claimed: list[Claimed] = []
    for message in repository.due_messages(session, now=now, limit=limit, channels=channels):
        marketing = message.kind == Kind.marketing
        if message.status == Status.sending and marketing and message.channel not in idempotent:
            logger.error("message outcome unknown after a sender crash", extra=_ids(message))
            _finish(session, message, Status.failed, IN_DOUBT, now)
            continue
        if marketing and not has_consent(
            session, message.member_id, message.channel, Purpose.marketing
        ):
            _finish(session, message, Status.failed, "no marketing consent at send time", now)
            continue
        later = policy.defer_until(session, message, now=now) if policy and marketing else None
        if later is not None:
            repository.update_if_unchanged(
                session,
                message.id,
                status=message.status,
                attempts=message.attempts,
                values={"status": Status.queued, "next_attempt_at": later, "updated_at": now},
            )
            continue
        attempt = message.attempts + 1
        values = {
            "status": Status.claimed,  # reserved by the lease; ``start`` marks it sending
            "attempts": attempt,
            "next_attempt_at": now + lease,
            "updated_at": now,
        }
        if not repository.update_if_unchanged(
            session, message.id, status=message.status, attempts=message.attempts, values=values
        ):
            continue  # another sender claimed it first
        program = session.get(Program, message.program_id)
        claimed.append(
            Claimed(
                id=message.id,
                attempt=attempt,
                channel=Channel(message.channel),
                kind=Kind(message.kind),
                template=message.template,
                locale=message.locale,
                recipient=message.recipient,
                context=dict(message.context),
                idempotency_key=message.idempotency_key,
                member_id=message.member_id,
                request_id=message.request_id,
                program_name=program.name if program else "",
                design=program.design if program else "",
            )
        )
    return claimed


def start(session: Session, claimed: Claimed, *, now: datetime) -> bool:
    """Mark a claimed message ``sending`` just before its send; False when the claim was
    lost (the lease ran out and another sender claimed it again)."""
    return repository.update_if_unchanged(
        session,
        claimed.id,
        status=Status.claimed,
        attempts=claimed.attempt,
        values={"status": Status.sending, "updated_at": now},
    )


def record(
    session: Session,
    claimed: Claimed,
    result: SendResult,
    *,
    provider: str,
    now: datetime,
    max_attempts: int,
) -> Status | None:
    """Store the channel's answer; a temporary failure waits (growing, jittered delay) until
    ``max_attempts``, then fails with the reason, logged at ERROR: nothing is dropped
    silently. None when the claim was lost (its lease ran out and another sender took it)."""
    values: dict[str, Any] = {"updated_at": now, "provider": provider, "error": result.error}
    if result.outcome is Outcome.sent:
        values.update(
            status=Status.sent,
            provider_id=result.provider_id,
            sent_at=now,
            segments=result.segments,
        )
    elif result.outcome is Outcome.bounced:
        values.update(status=Status.bounced)
    elif result.outcome is Outcome.failed:
        logger.warning(
            "message refused", extra={"message_id": str(claimed.id), "error": result.error}
        )
        values.update(status=Status.failed)
    elif claimed.attempt >= max_attempts:
        logger.error(
            "message failed after every attempt",
            extra={
                "message_id": str(claimed.id),
                "attempts": claimed.attempt,
                "error": result.error,
            },
        )
        values.update(
            status=Status.failed,
            error=f"gave up after {claimed.attempt} attempts: {result.error}"[:300],
        )
    else:
        delay = max(backoff(claimed.attempt), result.retry_after or 0.0)
        values.update(status=Status.queued, next_attempt_at=now + timedelta(seconds=delay))
    if result.is_opted_out and claimed.channel == Channel.sms:
        member = session.get(Member, claimed.member_id)
        if member is not None:  # the number opted out at the provider: no more marketing
            withdraw_sms_marketing(session, member, now=now)
    written = repository.update_if_unchanged(
        session, claimed.id, status=Status.sending, attempts=claimed.attempt, values=values
    )
    return values["status"] if written else None


def backoff(attempt: int) -> float:
    """Seconds before the next try after ``attempt`` failed: 30 s doubling up to an hour,
    jittered by a fifth so that a provider's recovery is not met by every retry at once."""
    delay: float = min(30.0 * 2.0 ** (attempt - 1), 3600.0)
    return delay * random.uniform(0.8, 1.2)


def _finish(session: Session, message: Message, status: Status, error: str, now: datetime) -> None:
    repository.update_if_unchanged(
        session,
        message.id,
        status=message.status,
        attempts=message.attempts,
        values={"status": status, "error": error, "updated_at": now},
    )


def _ids(message: Message) -> dict[str, str]:
    return {"message_id": str(message.id), "channel": message.channel}
