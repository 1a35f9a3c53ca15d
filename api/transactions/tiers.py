"""Tier re-evaluation outside a purchase (the nightly downgrade job): the ledger evaluates,
and, as after a purchase, the tier automation runs and the card changes once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlmodel import Session

from api.automations import service as automation_service
from api.ledger import repository as ledger_repository
from api.ledger import service as ledger_service
from api.outbox import service as outbox_service
from api.programs.models import Program
from api.programs.rules import rules_of


def reevaluate_tier(session: Session, merchant_id: UUID, member_id: UUID, *, now: datetime) -> bool:
    """Re-evaluate the member's tier with downgrades allowed (by the program's mode and grace
    period); True when it changed. The tier automation's text, if any, rides on the one card
    change."""
    member = ledger_repository.lock_member(session, merchant_id, member_id)
    if member is None:
        return False
    rules = rules_of(session.get_one(Program, member.program_id))
    change = ledger_service.evaluate_tier(session, member, rules, now=now, allow_downgrade=True)
    if change is None:
        return False
    message = automation_service.on_tier_change(
        session, member, new_tier=change.tier, upgrade=change.upgrade, now=now
    )
    outbox_service.mark_card_changed(session, member.id, kind="tier", now=now, message=message)
    return True
