"""Publishing in steps, and how far a publish has reached the phones.

A publish marks every card of the program changed (a version bump and an outbox row each),
in batches of :data:`MARK_BATCH` cards, one transaction per batch: the publish itself marks
the first :data:`INLINE_BATCHES` (a small program is done when the request answers) and the
designs job the rest (``tasks.mark_published``), so a 100,000-card program never holds one
request and one transaction for seconds. ``design_marking`` keeps the place (the last member
marked, members in id order): a crash resumes after it, and a newer publish ends an older
one's marking (it marks every card again anyway).

Progress counts the cards of the publish's outbox rows (kind ``design``, queued after it was
published and before the next publish), as the campaign statistics do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session, col

from api.designs import repository
from api.designs.models import DesignMarking, DesignVersion
from api.members.models import Card, Member
from api.outbox import service as outbox_service
from api.outbox.models import OutboxEvent
from api.programs.models import Program, own_design
from api.programs.service import get_program

MARK_BATCH = 1000
INLINE_BATCHES = 2
DESIGN_KIND = "design"


@dataclass(frozen=True, slots=True)
class PublishProgress:
    """How far the program's latest publish has gone.

    ``cards_total``: the program's cards now (a card enrolled after the publish has the new
    design from the start and is not marked); ``cards_marked``: cards given a new version by
    it (``marking_done`` once all are); ``cards_pushed``: of those, cards whose
    change reached a wallet (an Apple push delivered after it, or the Google object synced);
    ``cards_fetched``: cards a device downloaded in that version (or later).
    """

    version: int
    published_at: datetime
    cards_total: int
    cards_marked: int
    cards_pushed: int
    cards_fetched: int
    marking_done: bool


def start_marking(session: Session, row: DesignVersion, *, now: datetime) -> DesignMarking:
    """Begin marking the cards of a just-published version: the first batches now."""
    marking = DesignMarking(
        version_id=row.id, merchant_id=row.merchant_id, program_id=row.program_id
    )
    session.add(marking)
    session.flush()
    for _ in range(INLINE_BATCHES):
        if mark_next(session, marking, now=now) == 0 or marking.done_at is not None:
            break
    return marking


def open_markings(session: Session) -> list[UUID]:
    """The versions whose cards are still being marked, oldest first."""
    query = (
        select(col(DesignMarking.version_id))
        .join(DesignVersion, col(DesignVersion.id) == col(DesignMarking.version_id))
        .where(col(DesignMarking.done_at).is_(None))
        .order_by(col(DesignVersion.published_at))
    )
    return list(session.execute(query).scalars())


def unmarked_members(session: Session, version_id: UUID) -> list[UUID]:
    """The members whose cards the publish has not marked yet, in id order (read once per
    job run: one query per batch would sort the program's members again each time)."""
    marking = session.get(DesignMarking, version_id)
    if marking is None or marking.done_at is not None:
        return []
    return list(session.execute(_members(marking)).scalars())


def mark_batch(
    session: Session, version_id: UUID, members: Sequence[UUID], *, now: datetime
) -> bool:
    """Mark the cards of ``members`` (the next of :func:`unmarked_members`; none: the end)
    for the publish. The marking row is locked and only members past its cursor count, so
    two workers never mark a card twice. Returns True while it is not done."""
    marking = session.get(DesignMarking, version_id, with_for_update=True)
    if marking is None or marking.done_at is not None:
        return False
    cursor = marking.cursor
    fresh = [m for m in members if cursor is None or m > cursor]
    if not fresh:
        marking.done_at = now
        session.add(marking)
        return False
    mark_next(session, marking, now=now, members=fresh, limit=len(fresh))
    return marking.done_at is None


def mark_next(
    session: Session,
    marking: DesignMarking,
    *,
    now: datetime,
    members: Sequence[UUID] | None = None,
    limit: int | None = None,
) -> int:
    """Mark up to ``limit`` more cards of the publish (those of ``members``, or the next by
    id); it is done when fewer remain, or when a newer version is live (that publish marks
    them all). Returns the cards marked."""
    limit = MARK_BATCH if limit is None else limit
    version = session.get_one(DesignVersion, marking.version_id)
    program = session.get_one(Program, marking.program_id)
    if program.design != own_design(program.id, version.version):
        marking.done_at = now
        session.add(marking)
        return 0
    if members is None:
        members = list(session.execute(_members(marking).limit(limit)).scalars())
    marked = outbox_service.mark_cards_changed(session, members, kind=DESIGN_KIND, now=now)
    if members:
        marking.cursor = max(members)
    marking.cards_marked += marked
    if len(members) < limit:
        marking.done_at = now
    session.add(marking)
    session.flush()
    return marked


def _members(marking: DesignMarking) -> Any:
    query = select(col(Member.id)).where(
        col(Member.merchant_id) == marking.merchant_id,
        col(Member.program_id) == marking.program_id,
    )
    if marking.cursor is not None:
        query = query.where(col(Member.id) > marking.cursor)
    return query.order_by(col(Member.id))


def publish_progress(
    session: Session, merchant_id: UUID, program_id: UUID
) -> PublishProgress | None:
    """The latest publish of the program and how far it has reached; None before the first.

    Raises:
        ProgramNotFound: no such program of this merchant.
    """
    program = get_program(session, merchant_id, program_id)
    number = repository.latest_version(session, program.id)
    row = repository.version(session, program.id, number, merchant_id=merchant_id)
    if row is None:
        return None
    marking = session.get(DesignMarking, row.id)
    total = session.execute(
        select(func.count())
        .select_from(Card)
        .join(Member, col(Member.id) == col(Card.member_id))
        .where(col(Member.merchant_id) == merchant_id, col(Member.program_id) == program.id)
    ).scalar_one()

    def count(*conditions: Any) -> int:
        query = (
            select(func.count(func.distinct(col(OutboxEvent.card_id))))
            .select_from(OutboxEvent)
            .join(Card, col(Card.id) == col(OutboxEvent.card_id))
            .join(Member, col(Member.id) == col(Card.member_id))
            .where(
                col(OutboxEvent.merchant_id) == merchant_id,
                col(OutboxEvent.kind) == DESIGN_KIND,
                col(OutboxEvent.created_at) >= row.published_at,
                col(Member.program_id) == program.id,
                *conditions,
            )
        )
        return int(session.execute(query).scalar_one())

    apple = and_(
        col(Card.last_push_status) == "delivered",
        col(Card.last_push_at) >= col(OutboxEvent.created_at),
    )
    return PublishProgress(
        version=row.version,
        published_at=row.published_at,
        cards_total=int(total),
        cards_marked=marking.cards_marked if marking else count(),
        cards_pushed=count(or_(apple, col(OutboxEvent.google_done_at).is_not(None))),
        cards_fetched=count(col(Card.last_fetched_version) >= col(OutboxEvent.card_version)),
        marking_done=marking is None or marking.done_at is not None,
    )
