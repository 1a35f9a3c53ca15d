"""Scheduled jobs: points expiry, birthday bonuses, tier downgrades, the stores each card
carries, geo campaign windows, due push campaigns, daily RFM scores and automations.

Each is idempotent: running it twice at the same moment changes nothing the second time
(expired lots have nothing left, a birthday bonus records its year, a tier evaluation is a
function of the ledger). Every member is handled in its own short transaction with the
member's row locked, so jobs never block the tills for long and never race a purchase.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from uuid import UUID

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.automations import service as automation_service
from api.campaigns import geo as geo_service
from api.campaigns import service as campaign_service
from api.db import insert_unless_conflict
from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.ledger.models import Transaction, TransactionKind
from api.ledger.postings import Actor, Book
from api.members.models import Member
from api.outbox import service as outbox_service
from api.programs.models import Program
from api.programs.rules import Downgrade, rules_of
from api.segments import rfm
from api.stores import selection as store_selection

logger = logging.getLogger(__name__)
SCHEDULER = Actor("scheduler")
_BATCH = 500


@dataclass
class JobReport:
    expired_points: int = 0
    expired_members: int = 0
    birthday_bonuses: int = 0
    tier_changes: int = 0
    store_cards_changed: int = 0
    geo_cards_changed: int = 0
    campaign_cards: int = 0
    rfm_members: int = 0
    automations_fired: int = 0
    errors: list[str] = field(default_factory=list)


def run_all(engine: Engine, *, now: datetime) -> JobReport:
    """Run every job once, as of ``now``."""
    report = JobReport()
    jobs = (expire_points, birthday_bonuses, tier_downgrades, card_stores, geo_campaigns,
            push_campaigns, rfm_scores, automations)  # fmt: skip
    for job in jobs:
        try:
            job(engine, now=now, report=report)
        except Exception as exc:  # one failing job must not stop the others
            logger.exception("scheduled job failed", extra={"job": job.__name__})
            report.errors.append(f"{job.__name__}: {exc}")
    return report


def card_stores(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Re-choose the stores of the cards of merchants whose stores changed."""
    report.store_cards_changed += store_selection.run_refreshes(engine, now=now)


def geo_campaigns(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Start and end geo campaign windows."""
    report.geo_cards_changed += geo_service.run_transitions(engine, now=now)


def push_campaigns(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Send the campaigns that are due (and resume interrupted ones)."""
    report.campaign_cards += campaign_service.send_due(engine, now=now)


def rfm_scores(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Recompute each program's RFM scores once a day."""
    report.rfm_members += rfm.run_daily(engine, now=now)


def automations(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Fire the due birthday, expiring-points, win-back and reward-available messages."""
    report.automations_fired += automation_service.run_all(engine, now=now)


def expire_points(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Write ``expire`` entries for every lot past its expiry with points left."""
    while True:
        with Session(engine) as session:
            lots = ledger_repository.expired_lots(session, now, limit=_BATCH)
            members = sorted({(lot.merchant_id, lot.member_id) for lot in lots})
        if not members:
            return
        for merchant_id, member_id in members:
            expire = partial(
                _expire, merchant_id=merchant_id, member_id=member_id, now=now, report=report
            )
            _in_transaction(engine, expire)


def _expire(
    session: Session, *, merchant_id: UUID, member_id: UUID, now: datetime, report: JobReport
) -> None:
    member = ledger_repository.lock_member(session, merchant_id, member_id)
    if member is None:
        return
    lots = [
        lot
        for lot in ledger_repository.open_lots(session, member.id)
        if lot.expires_at is not None and lot.expires_at <= now
    ]
    if not lots:
        return
    program = session.get(Program, member.program_id)
    assert program is not None
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
    report.expired_points += before - member.points
    report.expired_members += 1
    outbox_service.mark_card_changed(session, member.id, kind="expiry", now=now)


def birthday_bonuses(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Give each member their program's birthday bonus once a year, on their birthday."""
    for program_id, merchant_id in _programs(engine, lambda r: r.bonuses.birthday_points > 0):
        with Session(engine) as session:
            program = session.get(Program, program_id)
            assert program is not None
            rules = rules_of(program)
            today = now.astimezone(rules.zone).date()
            due = session.exec(
                select(Member.id).where(
                    Member.program_id == program_id,
                    col(Member.birthday).is_not(None),
                    (col(Member.birthday_bonus_year).is_(None))
                    | (col(Member.birthday_bonus_year) < today.year),
                )
            ).all()
        for member_id in due:
            _in_transaction(
                engine,
                partial(
                    _birthday,
                    merchant_id=merchant_id,
                    member_id=member_id,
                    today=today,
                    now=now,
                    report=report,
                ),
            )


def _birthday(
    session: Session,
    *,
    merchant_id: UUID,
    member_id: UUID,
    today: date,
    now: datetime,
    report: JobReport,
) -> None:
    member = ledger_repository.lock_member(session, merchant_id, member_id)
    if member is None or member.birthday is None or not _is_birthday(member.birthday, today):
        return
    if member.birthday_bonus_year is not None and member.birthday_bonus_year >= today.year:
        return
    program = session.get(Program, member.program_id)
    assert program is not None
    rules = rules_of(program)
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
    report.birthday_bonuses += 1


def _is_birthday(birthday: date, today: date) -> bool:
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    # 29 February birthdays are celebrated on 28 February in other years.
    is_leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (
        (birthday.month, birthday.day) == (2, 29)
        and not is_leap
        and (today.month, today.day) == (2, 28)
    )


def tier_downgrades(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Re-evaluate tiered members: downgrades by the program's mode, grace periods."""
    wanted = lambda r: bool(r.tiers.levels) and r.tiers.downgrade is not Downgrade.none  # noqa: E731
    for program_id, merchant_id in _programs(engine, wanted):
        with Session(engine) as session:
            member_ids = session.exec(
                select(Member.id).where(
                    Member.program_id == program_id, col(Member.tier).is_not(None)
                )
            ).all()
        for member_id in member_ids:
            _in_transaction(
                engine,
                partial(
                    _reevaluate,
                    merchant_id=merchant_id,
                    member_id=member_id,
                    now=now,
                    report=report,
                ),
            )


def _reevaluate(
    session: Session, *, merchant_id: UUID, member_id: UUID, now: datetime, report: JobReport
) -> None:
    member = ledger_repository.lock_member(session, merchant_id, member_id)
    if member is None:
        return
    program = session.get(Program, member.program_id)
    assert program is not None
    rules = rules_of(program)
    change = ledger_service.evaluate_tier(session, member, rules, now=now, allow_downgrade=True)
    if change is not None:
        message = automation_service.on_tier_change(
            session, member, new_tier=change.tier, upgrade=change.upgrade, now=now
        )
        outbox_service.mark_card_changed(session, member.id, kind="tier", now=now, message=message)
        report.tier_changes += 1


def _programs(engine: Engine, wanted: Callable[..., bool]) -> list[tuple[UUID, UUID]]:
    with Session(engine) as session:
        programs = session.exec(select(Program)).all()
        return [(p.id, p.merchant_id) for p in programs if wanted(rules_of(p))]


def _in_transaction(engine: Engine, work: Callable[[Session], None]) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        work(session)
