"""Scheduled work on balances that runs automations: every member in its own short
transaction, so jobs never hold the tills back for long."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from api.ledger import schedule
from api.transactions import tiers


def tier_downgrades(engine: Engine, *, now: datetime) -> int:
    """Re-evaluate tiered members: downgrades by the program's mode, grace periods. Returns
    the tiers changed."""
    changed = 0
    with Session(engine) as session:  # reads only
        programs = schedule.programs_where(session, schedule.has_downgrades)
    for program_id, merchant_id in programs:
        with Session(engine) as session:
            member_ids = schedule.tiered_members(session, program_id)
        for member_id in member_ids:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                changed += tiers.reevaluate_tier(session, merchant_id, member_id, now=now)
    return changed
