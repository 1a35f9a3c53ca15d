"""How a code or a card link reaches a contact: the message outbox, on the channels the
service has configured (``LOYALPASS_SMS_PROVIDER`` for SMS, ``LOYALPASS_SMTP_HOST`` for
email). Both are service messages: they need no marketing consent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from api.clock import utcnow
from api.members.models import Member
from api.messaging import service as messaging_service
from api.messaging.models import Channel, Kind
from api.settings import Settings


@dataclass(frozen=True, slots=True)
class Courier:
    """The channels configured for service messages (codes, card links)."""

    sms: bool = False
    email: bool = False

    @classmethod
    def of(cls, settings: Settings) -> Courier:
        return cls(sms=settings.sms_provider is not None, email=bool(settings.smtp_host))

    def channel_for(self, *, phone: str | None, email: str | None) -> Channel | None:
        """The channel a message to this contact would go by (SMS first: codes are read on
        the phone), or None when none is set up."""
        if phone and self.sms:
            return Channel.sms
        if email and self.email:
            return Channel.email
        return None

    def deliver(
        self, session: Session, member: Member, channel: Channel, template: str,
        values: dict[str, str], *, locale: str,
    ) -> None:  # fmt: skip
        """Queue ``template`` for ``member`` on ``channel`` in the caller's transaction."""
        messaging_service.enqueue(
            session, member=member, channel=channel, kind=Kind.service, template=template,
            locale=locale, context=values, idempotency_key=f"{template}:{uuid.uuid4()}",
            now=utcnow(),
        )  # fmt: skip


def courier_of(request: Request) -> Courier:
    """The app's courier (built from the settings at start; tests may put their own)."""
    courier: Courier | None = getattr(request.app.state, "courier", None)
    return courier or Courier.of(request.app.state.settings)


CourierDep = Annotated[Courier, Depends(courier_of)]
