"""Feedback on a purchase from the card page: 1-5 stars and an optional comment, once per
purchase, earning the program's ``feedback`` action (reference ``purchase:<id>``) when the
program has an active rule for it.

The member's row is locked and the feedback row is unique per purchase, so concurrent submits
for one purchase store one feedback and earn once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.actions import repository, service
from api.actions.errors import ActionNotEarning, FeedbackNotAllowed
from api.actions.models import Feedback
from api.db import insert_unless_conflict
from api.ledger import repository as ledger_repository
from api.ledger.models import Transaction
from api.ledger.postings import Actor
from api.members.errors import MemberNotFound
from api.members.models import Member
from api.paging import PageRequest

FEEDBACK = "feedback"
_ACTOR = Actor("card page")


@dataclass(frozen=True, slots=True)
class FeedbackOffer:
    """What the card page offers to rate: the member's latest purchase, and the points the
    feedback earns (0 when the program gives none, or the member reached the cap)."""

    purchase: Transaction
    points: int


def offer(session: Session, member: Member) -> FeedbackOffer | None:
    """The member's latest purchase, if it has no feedback yet (what the card page offers)."""
    purchase = repository.latest_purchase(session, member.merchant_id, member.id)
    if purchase is None or repository.feedback_for(session, purchase.id) is not None:
        return None
    rule = repository.rule_for(session, member.merchant_id, member.program_id, FEEDBACK)
    return FeedbackOffer(purchase, rule.points if rule is not None and rule.is_active else 0)


def submit(
    session: Session, member: Member, transaction_id: UUID, *, rating: int, comment: str | None,
    now: datetime,
) -> Feedback:  # fmt: skip
    """Store the member's feedback on their purchase and earn the feedback action once.

    Raises:
        FeedbackNotAllowed: not the member's purchase, or it already has feedback.
    """
    found = ledger_repository.lock_member_with_program(session, member.merchant_id, member.id)
    if found is None:
        raise MemberNotFound()
    locked, program = found
    purchase = repository.purchase_of(session, member.merchant_id, member.id, transaction_id)
    if purchase is None:
        raise FeedbackNotAllowed("this purchase is not the card's")
    feedback = Feedback(
        merchant_id=member.merchant_id, program_id=program.id, member_id=member.id,
        transaction_id=purchase.id, rating=rating, comment=comment or None, created_at=now,
    )  # fmt: skip
    if not insert_unless_conflict(session, feedback):
        raise FeedbackNotAllowed("this purchase already has feedback")
    try:
        event, _ = service.award(
            session, locked, program, FEEDBACK, f"purchase:{purchase.id}", actor=_ACTOR, now=now
        )
    except ActionNotEarning:
        return feedback
    stored = repository.feedback_for(session, purchase.id)
    assert stored is not None
    stored.points = event.points
    session.add(stored)
    session.flush()
    return stored


def page(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[Feedback], int]:
    """The program's feedback, newest first. Raises: ProgramNotFound."""
    service.require_program(session, merchant_id, program_id)
    return repository.page_feedback(session, merchant_id, program_id, page)
