"""Enrolment: a new member and their card, with the welcome bonus and the referral link
(through the API or the public join page); the join page's form and the consent given.

This sits above the ledger (the welcome bonus is a ledger posting), so ``api/members`` stays
below it with the member rows and plain reads."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.clock import utcnow
from api.enrolment.models import MemberConsent
from api.enrolment.schemas import MemberEnrol
from api.enrolment.throttle import JoinLimits
from api.errors import ApiError
from api.ledger import service as ledger_service
from api.ledger.postings import Actor
from api.members import repository as member_repository
from api.members import service as member_service
from api.members.errors import UnknownReferralCode
from api.members.models import Card, Member
from api.members.schemas import MemberCreate, normalise_email, normalise_phone
from api.messaging import service as messaging_service
from api.messaging.models import Channel, Purpose
from api.metrics import instruments
from api.outbox.models import OutboxEvent
from api.pages.consents import MARKETING_CONSENT_VERSION
from api.pages.texts import CONSENT_VERSION
from api.programs import repository as program_repository
from api.programs import service as program_service
from api.programs.models import Program
from api.programs.rules import rules_of
from api.promos import service as promo_service
from api.stores import repository as store_repository
from api.stores import selection as store_selection
from api.webhooks import service as webhook_service

logger = logging.getLogger(__name__)
HONEYPOT_FIELD = "website"
_SERIAL_ATTEMPTS = 5


@dataclass
class JoinForm:
    """What the visitor typed, kept to fill the form again, and an error key per field."""

    name: str = ""
    phone: str = ""
    email: str = ""
    birthday: str = ""
    has_consent: bool = False
    marketing_email: bool = False  # the optional advertising consents, unticked by default
    marketing_sms: bool = False
    ref: str = ""
    store: str = ""
    promo: str = ""  # a promo code from the join link (?promo=), granted to a new member
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, fields: dict[str, str]) -> JoinForm:
        return cls(
            name=fields.get("name", "").strip()[:100],
            phone=fields.get("phone", "").strip()[:40],
            email=fields.get("email", "").strip()[:254],
            birthday=fields.get("birthday", "").strip()[:10],
            has_consent=fields.get("consent") == "yes",
            marketing_email=fields.get("marketing_email") == "yes",
            marketing_sms=fields.get("marketing_sms") == "yes",
            ref=fields.get("ref", "").strip()[:16],
            store=fields.get("store", "").strip()[:36],
            promo=fields.get("promo", "").strip()[:40],
        )


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
        referrer = member_repository.find_by_referral_code(session, program.id, data.referral_code)
        if referrer is None:
            raise UnknownReferralCode()
        referrer_id = referrer.id
    for _ in range(_SERIAL_ATTEMPTS):
        existing = member_repository.find_by_contact(
            session, program.id, phone=data.phone, email=data.email, external_id=data.external_id
        )
        if existing is not None:
            member_service.add_tags(session, existing[0], data.tags)  # a re-enrolment adds its tags
            return (*existing, False)
        member = Member(
            merchant_id=merchant_id,
            program_id=program.id,
            name=data.name,
            phone=data.phone,
            email=data.email,
            birthday=data.birthday,
            external_id=data.external_id,
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
        member_repository.insert_tags(session, member, set(data.tags))
        if member.home_latitude is not None:
            # The stores nearest the home point, chosen now: the pass downloaded right after
            # enrolment must carry them, not wait for the worker. Without a home point the
            # choice is the chain's flagships and first stores, which an empty
            # ``card.store_ids`` already stands for.
            store_selection.choose_for_new_member(session, member)
        logger.info("member enrolled", extra={"member_id": str(member.id)})
        instruments.count_on_commit(session, instruments.ENROLMENTS)
        webhook_service.enqueue(
            session,
            merchant_id,
            "member.created",
            {"member_id": member.id, "program_id": program.id, "card_serial": card.serial_number},
        )
        rules = rules_of(program)
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


def enrol_with_consent(
    session: Session, merchant_id: UUID, program_id: UUID, data: MemberEnrol, *, actor: Actor
) -> tuple[Member, Card, bool]:
    """``enrol`` through the API, recording a new member's ``marketing_consent`` (source
    ``api``); an existing member's consent is left as it is.

    Raises:
        ProgramNotFound: no such program for this merchant.
        UnknownReferralCode: the referral code belongs to no member of the program.
    """
    member, card, is_new = enrol(session, merchant_id, program_id, data, actor=actor)
    consent = data.marketing_consent
    if is_new and consent is not None:
        record_marketing_consent(
            session, member, email=consent.email, sms=consent.sms,
            text_version=consent.text_version, source="api", now=utcnow(),
        )  # fmt: skip
    return member, card, is_new


def find_program(session: Session, public_slug: str) -> Program | None:
    return program_repository.get_by_public_slug(session, public_slug)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why the join form was not accepted: the banner text key, the status to answer, and
    for a rate limit the seconds to wait (``Retry-After``)."""

    banner: str
    status_code: int
    retry_after: int | None = None


def screen(
    session: Session, program: Program, form: JoinForm, *, client: str, honeypot: str,
    limits: JoinLimits, now: datetime,
) -> MemberCreate | Refusal:  # fmt: skip
    """The join form's checks in order: the per-address rate, the bot trap, the fields
    (``form.errors`` names the ones to fix), then the per-contact rate (``throttle.py``)."""
    by_address = limits.hit_address(session, program.id, client, now=now)
    if not by_address.allowed:
        return Refusal("err_rate", 429, by_address.retry_after_seconds)
    if honeypot:
        logger.info("join form honeypot filled", extra={"program_id": str(program.id)})
        return Refusal("err_bot", 400)
    data = validate(form, today=now.date())
    if data is None:
        return Refusal("err_form", 422)
    contacts = [c for c in (data.phone, data.email) if c]
    by_contact = limits.hit_contacts(session, program.id, contacts, now=now)
    if by_contact is not None:
        return Refusal("err_rate", 429, by_contact.retry_after_seconds)
    return data


def validate(form: JoinForm, *, today: date) -> MemberCreate | None:
    """The enrolment the form asks for, or None with ``form.errors`` filled (text keys)."""
    errors: dict[str, str] = {}
    if not form.name:
        errors["name"] = "err_name"
    phone = email = None
    if form.phone:
        try:
            phone = normalise_phone(form.phone)
        except ValueError:
            errors["phone"] = "err_phone"
    if form.email:
        try:
            email = normalise_email(form.email)
        except ValueError:
            errors["email"] = "err_email"
    if not form.phone and not form.email:
        errors["phone"] = "err_contact"
    birthday = None
    if form.birthday:
        try:
            birthday = date.fromisoformat(form.birthday)
        except ValueError:
            errors["birthday"] = "err_birthday"
        else:
            if not date(1900, 1, 1) <= birthday <= today:
                errors["birthday"] = "err_birthday"
    if not form.has_consent:
        errors["consent"] = "err_consent"
    form.errors = errors
    if errors:
        return None
    try:
        return MemberCreate(name=form.name, phone=phone, email=email, birthday=birthday)
    except ValidationError:  # e.g. a name the API refuses; say so at the name field
        form.errors["name"] = "err_name"
        return None


def join(
    session: Session, program: Program, data: MemberCreate, *, form: JoinForm, locale: str
) -> tuple[Member, Card, bool]:
    """Enrol from the join page and record the consent given; a contact that already has a
    card gets nothing written (the caller sends the card to the contact, not the visitor).

    An unknown referral code or store in the URL is ignored rather than refused: the visitor
    came to get a card, and a mistyped link must not stop them.
    """
    merchant_id = program.merchant_id
    if form.ref and member_repository.find_by_referral_code(session, program.id, form.ref):
        data = data.model_copy(update={"referral_code": form.ref.upper()})
    store_id = _store_id(session, merchant_id, form.store)
    member, card, is_new = enrol(
        session, merchant_id, program.id, data, actor=Actor("join page", location_id=store_id)
    )
    if not is_new:  # the visitor has not proven the contact: nothing is written for them
        return member, card, is_new
    now = utcnow()
    session.add(
        MemberConsent(
            merchant_id=merchant_id,
            member_id=member.id,
            text_version=CONSENT_VERSION,
            locale=locale,
            store_id=store_id,
            is_new_member=is_new,
            accepted_at=now,
        )
    )
    session.flush()
    record_marketing_consent(
        session, member, email=form.marketing_email, sms=form.marketing_sms,
        text_version=MARKETING_CONSENT_VERSION, source="join_page", now=now, store_id=store_id,
    )  # fmt: skip
    if form.promo:
        _redeem_promo(session, member, form.promo, store_id=store_id, now=now)
    logger.info("join page enrolment", extra={"member_id": str(member.id), "is_new": is_new})
    return member, card, is_new


def _redeem_promo(
    session: Session, member: Member, code: str, *, store_id: UUID | None, now: datetime
) -> None:
    """The join link's promo code for the new member; a code that is unknown, used up or
    expired is ignored (in a savepoint: nothing of it is written), as a mistyped referral is."""
    try:
        with session.begin_nested():
            promo_service.redeem(
                session, member.merchant_id, member.id, code,
                actor=Actor("join page", location_id=store_id), now=now,
            )  # fmt: skip
    except ApiError as exc:
        logger.info("join link promo refused", extra={"code": exc.code})


def record_marketing_consent(
    session: Session, member: Member, *, email: bool, sms: bool, text_version: str,
    source: str, now: datetime, store_id: UUID | None = None,
) -> list[Channel]:  # fmt: skip
    """Record the advertising consent a new member gave, per channel (38-FZ wants it prior,
    explicit and provable: the words' version, the time, where). Only grants are written, and
    only for a channel the member gave a contact for; an unticked box writes nothing, and
    marketing stays off for that channel, as for every member who never agreed. Returns the
    channels granted."""
    asked = {Channel.email: email and member.email, Channel.sms: sms and member.phone}
    granted = [channel for channel, wanted in asked.items() if wanted]
    for channel in granted:
        messaging_service.record_consent(
            session, member=member, channel=channel, purpose=Purpose.marketing,
            is_granted=True, source=source, now=now, text_version=text_version,
            store_id=store_id,
        )  # fmt: skip
    return granted


def _store_id(session: Session, merchant_id: UUID, raw: str) -> UUID | None:
    try:
        store_id = UUID(raw)
    except ValueError:
        return None
    return store_id if store_repository.get(session, merchant_id, store_id) else None


def _new_referral_code() -> str:
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(8))


def _new_serial() -> str:
    """A 12-digit card number: short enough to type at a till, drawn at random."""
    return f"{secrets.randbelow(9 * 10**11) + 10**11}"
