"""The join form's rate limits, kept in the database (``api.ratelimits``) so that every
process of the service counts together.

Two rules, chosen so that a shop's shared Wi-Fi is not locked out:

- per client address *and program*: ``LOYALPASS_JOIN_RATE_LIMIT`` (60) submissions per
  window (``LOYALPASS_JOIN_RATE_WINDOW_SECONDS``, 600 s). Generous, because many customers
  join from one address (the shop's Wi-Fi, a mobile carrier's NAT) while the QR code on the
  counter is being scanned; it only stops a script hammering the form. Per program, so a busy
  day at one merchant does not close another merchant's form to the same network.
- per contact (each phone and email given) and program: ``LOYALPASS_JOIN_CONTACT_RATE_LIMIT``
  (3) per window, counted for forms that pass the field checks. Tight, because nobody needs
  to send the same number more often; it keeps a script from cycling through one person's
  contact (and, once cards are sent to the contact, from flooding them).

Every refusal says when to come back (``Retry-After``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.ratelimits import service as ratelimits
from api.ratelimits.service import Verdict
from api.settings import Settings

ADDRESS_SCOPE, CONTACT_SCOPE = "join_address", "join_contact"


@dataclass(frozen=True, slots=True)
class JoinLimits:
    """The join form's limits, from the settings."""

    per_address: int
    per_contact: int
    window: timedelta

    @classmethod
    def of(cls, settings: Settings) -> JoinLimits:
        return cls(
            settings.join_rate_limit,
            settings.join_contact_rate_limit,
            timedelta(seconds=settings.join_rate_window_seconds),
        )

    def hit_address(
        self, session: Session, program_id: UUID, client: str, *, now: datetime
    ) -> Verdict:
        """Count one submission from ``client`` to the program's form."""
        return ratelimits.hit(session, ADDRESS_SCOPE, f"{program_id} {client}",
                              limit=self.per_address, window=self.window, now=now)  # fmt: skip

    def hit_contacts(
        self, session: Session, program_id: UUID, contacts: Iterable[str], *, now: datetime
    ) -> Verdict | None:
        """Count one submission for each contact; the first refusal, else None."""
        refused = None
        for contact in contacts:
            verdict = ratelimits.hit(session, CONTACT_SCOPE, f"{program_id} {contact}",
                                     limit=self.per_contact, window=self.window,
                                     now=now)  # fmt: skip
            if not verdict.allowed and refused is None:
                refused = verdict
        return refused
