"""How a code or a card link reaches a contact: the channels the service has configured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlmodel import Session

from api.members.models import Member

Channel = Literal["sms", "email"]


@dataclass(frozen=True, slots=True)
class Courier:
    """The channels configured for service messages (codes, card links)."""

    sms: bool = False
    email: bool = False

    def channel_for(self, *, phone: str | None, email: str | None) -> Channel | None:
        """The channel a message to this contact would go by, or None when none is set up."""
        if phone and self.sms:
            return "sms"
        if email and self.email:
            return "email"
        return None

    def deliver(
        self, session: Session, member: Member, channel: Channel, template: str,
        values: dict[str, str],
    ) -> None:  # fmt: skip
        """Queue ``template`` for ``member`` on ``channel`` in the caller's transaction."""
        raise NotImplementedError  # wired to the message outbox


def courier_of(request: Request) -> Courier:
    courier: Courier = getattr(request.app.state, "courier", None) or Courier()
    return courier


CourierDep = Annotated[Courier, Depends(courier_of)]
