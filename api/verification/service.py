"""Proving a contact before a public page shows its card.

A visitor who says "I already have a card" types a phone or an email; we send a six-digit
code to it and show the card only to whoever types that code back. The answer, the database
work and the time taken are the same whether the contact has a card or not, so the pages
cannot be used to learn who is a member. Codes live 10 minutes and take 5 tries; requests
are limited per contact and per client address through the database, so every process shares
the count.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID

from sqlalchemy import update
from sqlmodel import Session, col

from api.members import repository as member_repository
from api.members.models import Card, Member
from api.members.schemas import normalise_email, normalise_phone
from api.programs.models import Program
from api.ratelimits import service as ratelimits
from api.verification.courier import Courier
from api.verification.models import ContactChallenge

logger = logging.getLogger(__name__)
CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
PER_CONTACT = (3, timedelta(minutes=10))  # codes sent to one contact
PER_CLIENT = (10, timedelta(minutes=10))  # codes asked for from one client address


@dataclass(frozen=True, slots=True)
class Contact:
    """A phone or an email, normalised the way members' contacts are stored."""

    phone: str | None
    email: str | None

    @classmethod
    def parse(cls, raw: str) -> Contact | None:
        raw = raw.strip()
        if "@" in raw:
            try:
                return cls(None, normalise_email(raw))
            except ValueError:
                return None
        try:
            return cls(normalise_phone(raw), None)
        except ValueError:
            return None

    @property
    def value(self) -> str:
        return self.phone or self.email or ""

    @property
    def masked(self) -> str:
        return mask_phone(self.phone) if self.phone else mask_email(self.email or "")


def mask_phone(phone: str) -> str:
    """``+79161234567`` -> ``+7 *** ***-45-67``: enough for its owner to recognise it."""
    digits = phone.lstrip("+")
    country = digits[:-10] if len(digits) > 10 else ""
    prefix = f"+{country} " if phone.startswith("+") and country else ""
    return f"{prefix}*** ***-{digits[-4:-2]}-{digits[-2:]}"


def mask_email(email: str) -> str:
    """``anna.petrova@example.com`` -> ``a***@example.com``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True, slots=True)
class Sent:
    """A code went out (or seemed to): the challenge to type it into and where it went."""

    challenge_id: UUID
    masked_contact: str


@dataclass(frozen=True, slots=True)
class Refused:
    """No code was sent: ``reason`` is a page text key; ``retry_after`` seconds for a 429."""

    reason: Literal["err_contact_format", "err_rate", "no_channel"]
    retry_after: int = 0


def start(
    session: Session, program: Program, raw_contact: str, *, client: str, now: datetime,
    courier: Courier, locale: str,
) -> Sent | Refused:  # fmt: skip
    """Send a one-time code to the contact if it has a card in ``program``.

    The answer is a :class:`Sent` for a known and an unknown contact alike.
    """
    contact = Contact.parse(raw_contact)
    if contact is None:
        return Refused("err_contact_format")
    channel = courier.channel_for(phone=contact.phone, email=contact.email)
    if channel is None:
        return Refused("no_channel")
    for scope, key, (limit, window) in (
        ("otp-client", f"{program.id}:{client}", PER_CLIENT),
        ("otp-contact", f"{program.id}:{contact.value}", PER_CONTACT),
    ):
        verdict = ratelimits.hit(session, scope, key, limit=limit, window=window, now=now)
        if not verdict.allowed:
            return Refused("err_rate", verdict.retry_after_seconds)
    found = member_repository.find_by_contact(
        session, program.id, phone=contact.phone, email=contact.email
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    challenge = ContactChallenge(
        merchant_id=program.merchant_id,
        program_id=program.id,
        member_id=found[0].id if found else None,
        channel=channel,
        masked_contact=contact.masked,
        code_hash="",
        expires_at=now + CODE_LIFETIME,
        created_at=now,
    )
    challenge.code_hash = _code_hash(challenge.id, code)
    session.add(challenge)
    session.flush()
    if found is not None:
        values = {"code": code, "name": found[0].name}
        courier.deliver(session, found[0], channel, "verification_code", values, locale=locale)
    logger.info("contact code requested", extra={"challenge_id": str(challenge.id)})
    return Sent(challenge.id, contact.masked)


def masked_contact(session: Session, program: Program, challenge_id: UUID) -> str | None:
    """Where a challenge's code went, for the page that asks for it."""
    challenge = session.get(ContactChallenge, challenge_id)
    if challenge is None or challenge.program_id != program.id:
        return None
    return challenge.masked_contact


def check(
    session: Session, program: Program, challenge_id: UUID, code: str, *, now: datetime
) -> tuple[Member, Card] | None:
    """The card the code opens, or None (wrong, expired, used up, or no card behind it).

    Counting the attempt and reading the row is one atomic statement, so parallel guesses
    cannot get more than ``MAX_ATTEMPTS`` codes checked; a right code is used once.
    """
    row = session.execute(
        update(ContactChallenge)
        .where(
            col(ContactChallenge.id) == challenge_id,
            col(ContactChallenge.program_id) == program.id,
            col(ContactChallenge.attempts) < MAX_ATTEMPTS,
            col(ContactChallenge.used_at).is_(None),
            col(ContactChallenge.expires_at) > now,
        )
        .values(attempts=ContactChallenge.attempts + 1)
        .returning(col(ContactChallenge.code_hash), col(ContactChallenge.member_id))
    ).first()
    typed = "".join(code.split())[: CODE_DIGITS + 2]
    if row is None or not hmac.compare_digest(_code_hash(challenge_id, typed), row[0]):
        return None
    used = session.execute(
        update(ContactChallenge)
        .where(col(ContactChallenge.id) == challenge_id, col(ContactChallenge.used_at).is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1 or row[1] is None:  # type: ignore[attr-defined]
        return None
    return member_repository.get(session, program.merchant_id, row[1])


def _code_hash(challenge_id: UUID, code: str) -> str:
    return hmac.new(challenge_id.bytes, code.encode(), hashlib.sha256).hexdigest()


def send_card_link(
    session: Session, member: Member, card: Card, courier: Courier, *, public_url: str,
    locale: str,
) -> str | None:  # fmt: skip
    """Send the card's link to the member's own contact; where it went, masked, or None when
    no channel can reach them (the page then sends the visitor to the till)."""
    channel = courier.channel_for(phone=member.phone, email=member.email)
    if channel is None:
        return None
    url = f"{public_url}/cards/{card.public_token}"
    values = {"card_url": url, "name": member.name}
    courier.deliver(session, member, channel, "card_link", values, locale=locale)
    logger.info("card link sent to the member's contact", extra={"member_id": str(member.id)})
    contact = Contact(member.phone, None) if channel == "sms" else Contact(None, member.email)
    return contact.masked
