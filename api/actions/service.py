"""Actions that earn points without a purchase (Letit feedback, SailPlay extra actions).

A program has one rule per action kind: its points and a cap per member per period (day,
week or month in the program's time zone, or ever). An action is triggered once per
(member, kind, reference): the member's row is locked first, so concurrent triggers of one
member are counted one after the other and the cap is exact; a retry with the same
reference returns the first answer. Points go through the ledger as a bonus transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.actions import repository
from api.actions.errors import ActionNotEarning, ActionRuleExists, ActionRuleNotFound
from api.actions.models import ActionEvent, ActionRule
from api.actions.schemas import ActionRuleCreate, ActionRuleUpdate, CapPeriod
from api.db import insert_unless_conflict
from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.ledger.models import EntryKind, Transaction, TransactionKind
from api.ledger.postings import Actor, Book
from api.members.errors import MemberNotFound
from api.members.models import Member
from api.outbox import service as outbox_service
from api.paging import PageRequest
from api.programs import repository as program_repository
from api.programs.errors import ProgramNotFound
from api.programs.models import Program
from api.programs.rules import ProgramRules, rules_of
from api.webhooks import service as webhook_service


def create_rule(
    session: Session, merchant_id: UUID, program_id: UUID, data: ActionRuleCreate, *,
    now: datetime,
) -> ActionRule:  # fmt: skip
    """Raises: ProgramNotFound, ActionRuleExists."""
    require_program(session, merchant_id, program_id)
    rule = ActionRule(
        merchant_id=merchant_id, program_id=program_id, kind=data.kind, points=data.points,
        cap=data.cap, period=data.period, created_at=now, updated_at=now,
    )  # fmt: skip
    if not insert_unless_conflict(session, rule):
        raise ActionRuleExists(f"the program already has a rule for {data.kind!r}")
    return _rule(session, merchant_id, program_id, rule.id)


def update_rule(
    session: Session, merchant_id: UUID, program_id: UUID, rule_id: UUID,
    data: ActionRuleUpdate, *, now: datetime,
) -> ActionRule:  # fmt: skip
    """Raises: ActionRuleNotFound."""
    rule = _rule(session, merchant_id, program_id, rule_id)
    for name in data.model_fields_set:
        value = getattr(data, name)
        if value is None and name != "cap":
            continue
        setattr(rule, name, value)
    rule.updated_at = now
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, merchant_id: UUID, program_id: UUID, rule_id: UUID) -> ActionRule:
    """Raises: ActionRuleNotFound."""
    return _rule(session, merchant_id, program_id, rule_id)


def page_rules(
    session: Session, merchant_id: UUID, program_id: UUID, page: PageRequest
) -> tuple[Sequence[ActionRule], int]:
    """Raises: ProgramNotFound."""
    require_program(session, merchant_id, program_id)
    return repository.page_rules(session, merchant_id, program_id, page)


def trigger(
    session: Session, merchant_id: UUID, member_id: UUID, kind: str, reference: str, *,
    actor: Actor, now: datetime,
) -> tuple[ActionEvent, Member, bool]:  # fmt: skip
    """Record one action of the member; award its points unless the cap is reached.
    Returns the event, the member and whether it is new (False: the reference was seen).

    Raises:
        MemberNotFound, ActionNotEarning: the program has no active rule for ``kind``.
    """
    found = ledger_repository.lock_member_with_program(session, merchant_id, member_id)
    if found is None:
        raise MemberNotFound()
    member, program = found
    event, is_new = award(session, member, program, kind, reference, actor=actor, now=now)
    return event, member, is_new


def award(
    session: Session, member: Member, program: Program, kind: str, reference: str, *,
    actor: Actor, now: datetime,
) -> tuple[ActionEvent, bool]:  # fmt: skip
    """:func:`trigger` for a member already locked.

    Raises:
        ActionNotEarning: the program has no active rule for ``kind``.
    """
    existing = repository.find_event(session, member.id, kind, reference)
    if existing is not None:
        return existing, False
    rule = repository.rule_for(session, member.merchant_id, program.id, kind)
    if rule is None or not rule.is_active:
        raise ActionNotEarning(f"the program gives no points for {kind!r}")
    rules = rules_of(program)
    event = ActionEvent(
        merchant_id=member.merchant_id, member_id=member.id, kind=kind, reference=reference,
        created_at=now,
    )  # fmt: skip
    since = period_start(now, CapPeriod(rule.period), rules)
    if rule.cap is None or repository.awarded_since(session, member.id, kind, since) < rule.cap:
        event.transaction_id = _credit(session, member, rules, rule, actor=actor, now=now)
        event.points = rule.points
    if not insert_unless_conflict(session, event):  # only if the member lock was bypassed
        raise RuntimeError("an action event was recorded under the member's lock")
    return event, True


def period_start(now: datetime, period: CapPeriod, rules: ProgramRules) -> datetime | None:
    """Where the cap's period began (None: ever), in the program's time zone."""
    if period is CapPeriod.ever:
        return None
    day = ledger_service.day_start(now, rules)
    local = day.astimezone(rules.zone)
    if period is CapPeriod.week:
        local -= timedelta(days=local.weekday())
    elif period is CapPeriod.month:
        local -= timedelta(days=local.day - 1)
    local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(now.tzinfo)


def _credit(
    session: Session, member: Member, rules: ProgramRules, rule: ActionRule, *, actor: Actor,
    now: datetime,
) -> UUID:  # fmt: skip
    reason = f"action: {rule.kind}"
    transaction = Transaction(
        merchant_id=member.merchant_id, member_id=member.id, kind=TransactionKind.bonus,
        actor=actor.label, actor_key_id=actor.key_id, location_id=actor.location_id,
        reason=reason, created_at=now,
    )  # fmt: skip
    insert_unless_conflict(session, transaction)
    Book(session, member, rules, actor, now, transaction.id).credit_points(
        rule.points, EntryKind.bonus, reason
    )
    outbox_service.mark_card_changed(session, member.id, kind="bonus", now=now)
    webhook_service.enqueue(
        session, member.merchant_id, "transaction.created", transaction.model_dump()
    )
    return transaction.id


def require_program(session: Session, merchant_id: UUID, program_id: UUID) -> Program:
    program = program_repository.get(session, merchant_id, program_id)
    if program is None:
        raise ProgramNotFound()
    return program


def _rule(session: Session, merchant_id: UUID, program_id: UUID, rule_id: UUID) -> ActionRule:
    rule = repository.get_rule(session, merchant_id, program_id, rule_id)
    if rule is None:
        raise ActionRuleNotFound()
    return rule
