"""Enrolling members and issuing their cards."""

from __future__ import annotations

import logging
import secrets
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.clock import utcnow
from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.ledger.postings import Actor
from api.members import repository
from api.members.errors import MemberNotFound, UnknownReferralCode
from api.members.models import Card, Member
from api.members.schemas import MemberCreate, MemberPage, MemberPublic
from api.outbox.models import OutboxEvent
from api.programs import service as program_service

logger = logging.getLogger(__name__)
_SERIAL_ATTEMPTS = 5


def enrol(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    data: MemberCreate,
    *,
    actor: Actor | None = None,
) -> tuple[Member, Card, bool]:
    """Enrol a member, or return the existing one with the same phone or email.

    Returns the member, the card and whether they were created now. A new member gets the
    program's welcome bonus; ``data.referral_code`` links them to the member who referred them.

    Raises:
        ProgramNotFound: no such program for this merchant.
        UnknownReferralCode: the referral code belongs to no member of the program.
    """
    program = program_service.get_program(session, merchant_id, program_id)
    referrer_id = None
    if data.referral_code:
        referrer = repository.find_by_referral_code(session, program.id, data.referral_code)
        if referrer is None:
            raise UnknownReferralCode()
        referrer_id = referrer.id
    for _ in range(_SERIAL_ATTEMPTS):
        existing = repository.find_by_contact(
            session, program.id, phone=data.phone, email=data.email
        )
        if existing is not None:
            _add_tags(session, existing[0], data.tags)  # a re-enrolment adds its tags
            return (*existing, False)
        member = Member(
            merchant_id=merchant_id,
            program_id=program.id,
            name=data.name,
            phone=data.phone,
            email=data.email,
            birthday=data.birthday,
            home_latitude=data.home_latitude,
            home_longitude=data.home_longitude,
            referral_code=_new_referral_code(),
            referred_by_id=referrer_id,
        )
        card = Card(
            merchant_id=merchant_id,
            member_id=member.id,
            serial_number=_new_serial(),
            public_token=secrets.token_urlsafe(24),
            authentication_token=secrets.token_urlsafe(32),
        )
        try:
            # A savepoint: a concurrent enrolment with the same phone, or a serial collision,
            # fails this insert only, and the loop then finds the winner or draws a new serial.
            with session.begin_nested():
                session.add(member)
                session.flush()
                session.add(card)
                session.flush()
        except IntegrityError:
            continue
        # Google hears of the new card through the outbox and inserts its object; Apple has
        # nothing to do (no device can hold the pass yet).
        now = utcnow()
        session.add(
            OutboxEvent(
                merchant_id=merchant_id,
                card_id=card.id,
                kind="enrol",
                card_version=card.version,
                created_at=now,
                apple_done_at=now,
            )
        )
        repository.insert_tags(session, member, set(data.tags))
        logger.info("member enrolled", extra={"member_id": str(member.id)})
        rules = ledger_service.rules_of(program)
        ledger_service.grant_bonus(
            session,
            member,
            rules,
            points=rules.bonuses.welcome_points,
            reason="welcome bonus",
            actor=actor or Actor("enrolment"),
            now=utcnow(),
        )
        return member, card, True
    raise RuntimeError("could not allocate a unique card serial number")


def get_member(session: Session, merchant_id: UUID, member_id: UUID) -> tuple[Member, Card]:
    found = repository.get(session, merchant_id, member_id)
    if found is None:
        raise MemberNotFound()
    return found


def set_tags(
    session: Session, merchant_id: UUID, member_id: UUID, tags: list[str]
) -> tuple[Member, Card]:
    """Replace the member's tags with ``tags``.

    Raises: MemberNotFound (also for another merchant's member).
    """
    member, card = get_member(session, merchant_id, member_id)
    wanted, have = set(tags), _tags(session, member)
    repository.remove_tags(session, member.id, have - wanted)
    repository.insert_tags(session, member, wanted - have)
    return member, card


def _add_tags(session: Session, member: Member, tags: list[str]) -> None:
    repository.insert_tags(session, member, set(tags) - _tags(session, member))


def _tags(session: Session, member: Member) -> set[str]:
    return set(repository.tags_of(session, [member.id]).get(member.id, []))


def search(
    session: Session,
    merchant_id: UUID,
    *,
    query: str | None,
    program_id: UUID | None,
    limit: int,
    offset: int,
    public_url: str,
    google: bool = False,
) -> MemberPage:
    rows, total = repository.search(
        session, merchant_id, query=query, program_id=program_id, limit=limit, offset=offset
    )
    tags = repository.tags_of(session, (m.id for m, _ in rows))
    return MemberPage(
        items=[
            MemberPublic.of(m, c, public_url=public_url, google=google, tags=tags.get(m.id))
            for m, c in rows
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


def public(
    session: Session, member: Member, card: Card, *, public_url: str, google: bool = False
) -> MemberPublic:
    """The API view of a member, with the soonest-expiring points."""
    expiry = ledger_repository.next_expiry(session, member.id)
    tags = repository.tags_of(session, [member.id]).get(member.id)
    return MemberPublic.of(
        member, card, public_url=public_url, google=google, next_expiry=expiry, tags=tags
    )


def get_by_barcode(session: Session, merchant_id: UUID, barcode: str) -> tuple[Member, Card]:
    """The member whose card shows ``barcode`` (what a scanner reads)."""
    found = repository.get_by_serial(session, merchant_id, barcode.strip())
    if found is None:
        raise MemberNotFound("no card of this merchant has that barcode")
    return found


def _new_referral_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


def _new_serial() -> str:
    """A 12-digit card number: short enough to type at a till, drawn at random."""
    return f"{secrets.randbelow(9 * 10**11) + 10**11}"
