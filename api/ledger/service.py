"""The ledger's own rules: bonuses, tiers and the program's day.

Every function here runs inside the caller's transaction with the member's row locked and
writes append-only entries through :class:`Book`. The ledger calls nothing above it: a tier
evaluation returns the change, and the caller (a purchase, a scheduled job) runs what follows
from it (automations) and marks the card changed once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlmodel import Session

from api.db import insert_unless_conflict
from api.ledger import repository
from api.ledger.engine import tier_for, tier_rank, tier_window_start
from api.ledger.models import EntryKind, Transaction, TransactionKind
from api.ledger.postings import Actor, Book
from api.members.models import Member
from api.outbox import service as outbox_service
from api.programs.rules import Downgrade, ProgramRules, TierMetric
from api.webhooks import service as webhook_service

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TierChange:
    """A member moved to ``tier`` (None: below every tier); ``upgrade`` says which way."""

    tier: str | None
    upgrade: bool


def grant_bonus(
    session: Session, member: Member, rules: ProgramRules, *, points: int, reason: str,
    actor: Actor, now: datetime,
) -> Transaction | None:  # fmt: skip
    """A bonus (welcome, birthday, referral) as its own transaction; the member is locked."""
    if points <= 0:
        return None
    transaction = Transaction(
        merchant_id=member.merchant_id,
        member_id=member.id,
        kind=TransactionKind.bonus,
        actor=actor.label,
        actor_key_id=actor.key_id,
        reason=reason,
        created_at=now,
    )
    inserted = insert_unless_conflict(session, transaction)
    Book(session, member, rules, actor, now, transaction.id).credit_points(
        points, EntryKind.bonus, reason
    )
    outbox_service.mark_card_changed(session, member.id, kind="bonus", now=now, message=reason)
    if inserted:
        webhook_service.enqueue(
            session, member.merchant_id, "transaction.created", transaction.model_dump()
        )
    return transaction


def evaluate_tier(
    session: Session, member: Member, rules: ProgramRules, *, now: datetime, allow_downgrade: bool
) -> TierChange | None:
    """Move the member to the tier their activity earns; the change, or None when none.

    Upgrades happen at once. Downgrades follow the program's mode: ``none`` never,
    ``automatic`` at the next evaluation, ``grace`` once ``grace_days`` have passed below
    the threshold (climbing back above clears the grace period). The card is not marked
    changed here: the caller does that once for everything it changed.
    """
    tiers = rules.tiers
    if not tiers.levels:
        return None
    since = tier_window_start(now, tiers, rules.zone)
    if tiers.metric is TierMetric.spend:
        value = repository.spend_since(session, member.id, since)
    elif tiers.metric is TierMetric.visits:
        value = Decimal(repository.visits_since(session, member.id, since))
    else:
        value = Decimal(repository.points_earned_since(session, member.id, since))
    target = tier_for(value, tiers.levels)
    target_name = target.name if target else None
    current, wanted = tier_rank(member.tier, tiers.levels), tier_rank(target_name, tiers.levels)
    if wanted >= current:
        member.tier_grace_until = None
        if wanted == current:
            session.add(member)
            return None
        return _set_tier(session, member, target_name, now, upgrade=True)
    if not allow_downgrade or tiers.downgrade is Downgrade.none:
        return None
    if tiers.downgrade is Downgrade.grace:
        assert tiers.grace_days is not None
        if member.tier_grace_until is None:
            member.tier_grace_until = now + timedelta(days=tiers.grace_days)
            session.add(member)
            return None
        if now < member.tier_grace_until:
            return None
    member.tier_grace_until = None
    return _set_tier(session, member, target_name, now, upgrade=False)


def discount_percent(member: Member, rules: ProgramRules) -> int:
    return rules.discount_percent(member.tier)


def day_start(now: datetime, rules: ProgramRules) -> datetime:
    """Midnight of ``now``'s day in the program's time zone (daily caps and birthdays)."""
    local = now.astimezone(rules.zone)
    return datetime.combine(local.date(), time(0), tzinfo=rules.zone).astimezone(now.tzinfo)


def _set_tier(
    session: Session, member: Member, tier: str | None, now: datetime, *, upgrade: bool
) -> TierChange:
    logger.info("tier changed", extra={"member_id": str(member.id), "tier": tier})
    member.tier, member.tier_since = tier, now
    session.add(member)
    webhook_service.enqueue(
        session,
        member.merchant_id,
        "tier.changed",
        {"member_id": member.id, "tier": tier, "upgrade": upgrade},
    )
    return TierChange(tier, upgrade)
