"""Enrolment through the public join page: validate the form, enrol (or find) the member,
store the consent they gave."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from pydantic import ValidationError
from sqlmodel import Session

from api.clock import utcnow
from api.enrolment.models import MemberConsent
from api.ledger.postings import Actor
from api.members import repository as member_repository
from api.members import service as member_service
from api.members.models import Card, Member
from api.members.schemas import MemberCreate, normalise_email, normalise_phone
from api.pages.texts import CONSENT_VERSION
from api.programs import repository as program_repository
from api.programs.models import Program
from api.stores import repository as store_repository

logger = logging.getLogger(__name__)
HONEYPOT_FIELD = "website"


@dataclass
class JoinForm:
    """What the visitor typed, kept to fill the form again, and an error key per field."""

    name: str = ""
    phone: str = ""
    email: str = ""
    birthday: str = ""
    has_consent: bool = False
    ref: str = ""
    store: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, fields: dict[str, str]) -> JoinForm:
        return cls(
            name=fields.get("name", "").strip()[:100],
            phone=fields.get("phone", "").strip()[:40],
            email=fields.get("email", "").strip()[:254],
            birthday=fields.get("birthday", "").strip()[:10],
            has_consent=fields.get("consent") == "yes",
            ref=fields.get("ref", "").strip()[:16],
            store=fields.get("store", "").strip()[:36],
        )


def find_program(session: Session, public_slug: str) -> Program | None:
    return program_repository.get_by_public_slug(session, public_slug)


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
    """Enrol from the join page, or find the member who already has a card; record consent.

    An unknown referral code or store in the URL is ignored rather than refused: the visitor
    came to get a card, and a mistyped link must not stop them.
    """
    merchant_id = program.merchant_id
    if form.ref and member_repository.find_by_referral_code(session, program.id, form.ref):
        data = data.model_copy(update={"referral_code": form.ref.upper()})
    store_id = _store_id(session, merchant_id, form.store)
    member, card, is_new = member_service.enrol(
        session, merchant_id, program.id, data, actor=Actor("join page", location_id=store_id)
    )
    session.add(
        MemberConsent(
            merchant_id=merchant_id,
            member_id=member.id,
            text_version=CONSENT_VERSION,
            locale=locale,
            store_id=store_id,
            is_new_member=is_new,
            accepted_at=utcnow(),
        )
    )
    session.flush()
    logger.info("join page enrolment", extra={"member_id": str(member.id), "is_new": is_new})
    return member, card, is_new


def _store_id(session: Session, merchant_id: UUID, raw: str) -> UUID | None:
    try:
        store_id = UUID(raw)
    except ValueError:
        return None
    return store_id if store_repository.get(session, merchant_id, store_id) else None
