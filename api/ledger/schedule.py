"""The ledger's scheduled work, session-first: points expiry, birthday bonuses and tier
re-evaluation, one member per call with the member's row locked (so it never races a
purchase). Their tasks, which open one short transaction per member, are in ``tasks.py``.

Each is idempotent: run twice at the same moment it changes nothing the second time (expired
lots have nothing left, a birthday bonus records its year, a tier evaluation is a function of
the ledger).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

from sqlmodel import Session

from api.birthday import is_birthday
from api.db import insert_unless_conflict
from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.ledger.models import Transaction, TransactionKind
from api.ledger.postings import Actor, Book
from api.outbox import service as outbox_service
from api.programs.models import Program
from api.programs.rules import Downgrade, ProgramRules, rules_of
from api.webhooks import service as webhook_service

SCHEDULER = Actor("scheduler")


def members_with_expired_lots(
    session: Session, *, now: datetime, limit: int
) -> list[tuple[UUID, UUID]]:
    """(merchant id, member id) of members with lots past their expiry and points left."""
    lots = ledger_repository.expired_lots(session, now, limit=limit)
    return sorted({(lot.merchant_id, lot.member_id) for lot in lots})


def expire_member(
    session: Session, merchant_id: UUID, member_id: UUID, *, now: datetime
) -> int | None:
    """Write ``expire`` entries for the member's lots past their expiry; returns the points
    expired, or None when there are no such lots (any more)."""
    member = ledger_repository.lock_member(session, merchant_id, member_id)
    if member is None:
        return None
    lots = [
        lot
        for lot in ledger_repository.open_lots(session, member.id)
        if lot.expires_at is not None and lot.expires_at <= now
    ]
    if not lots:
        return None
    program = session.get_one(Program, member.program_id)
    transaction = Transaction(
        merchant_id=member.merchant_id,
        member_id=member.id,
        kind=TransactionKind.expiry,
        actor=SCHEDULER.label,
        reason="points expired",
        created_at=now,
    )
    insert_unless_conflict(session, transaction)
    book = Book(session, member, rules_of(program), SCHEDULER, now, transaction.id)
    before = member.points
    for lot in lots:
        book.expire_lot(lot)
    session.add(member)
    outbox_service.mark_card_changed(session, member.id, kind="expiry", now=now)
    webhook_service.enqueue(
        session, member.merchant_id, "transaction.created", transaction.model_dump()
    )
    return before - member.points


def programs_where(
    session: Session, wanted: Callable[[ProgramRules], bool]
) -> list[tuple[UUID, UUID]]:
    """(program id, merchant id) of the programs whose rules are ``wanted``."""
    programs = ledger_repository.list_programs(session)
    return [(p.id, p.merchant_id) for p in programs if wanted(rules_of(p))]


def has_birthday_bonus(rules: ProgramRules) -> bool:
    return rules.bonuses.birthday_points > 0


def has_downgrades(rules: ProgramRules) -> bool:
    return bool(rules.tiers.levels) and rules.tiers.downgrade is not Downgrade.none


def birthday_candidates(
    session: Session, program_id: UUID, *, now: datetime
) -> tuple[date, list[UUID]]:
    """The program's date today, and its members with a birthday who have not had this
    year's bonus."""
    program = session.get_one(Program, program_id)
    today = now.astimezone(rules_of(program).zone).date()
    return today, ledger_repository.list_birthday_candidates(session, program_id, today=today)


def give_birthday_bonus(
    session: Session, merchant_id: UUID, member_id: UUID, *, today: date, now: datetime
) -> bool:
    """The program's birthday bonus, once a year, on the member's birthday; True if given."""
    member = ledger_repository.lock_member(session, merchant_id, member_id)
    if member is None or member.birthday is None or not is_birthday(member.birthday, today):
        return False
    if member.birthday_bonus_year is not None and member.birthday_bonus_year >= today.year:
        return False
    rules = rules_of(session.get_one(Program, member.program_id))
    member.birthday_bonus_year = today.year
    session.add(member)
    ledger_service.grant_bonus(
        session,
        member,
        rules,
        points=rules.bonuses.birthday_points,
        reason="happy birthday!",
        actor=SCHEDULER,
        now=now,
    )
    return True


def tiered_members(session: Session, program_id: UUID) -> list[UUID]:
    return ledger_repository.list_tiered_members(session, program_id)
