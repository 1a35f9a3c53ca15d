"""The ledger's scheduled work as tasks: every member in its own short transaction, so jobs
never hold the tills back for long."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from api.ledger import schedule

_BATCH = 500


def expire_points(engine: Engine, *, now: datetime) -> tuple[int, int]:
    """Expire every lot past its expiry with points left. Returns (points, members)."""
    points = members = 0
    while True:
        with Session(engine) as session:  # reads only
            due = schedule.members_with_expired_lots(session, now=now, limit=_BATCH)
        if not due:
            return points, members
        for merchant_id, member_id in due:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                expired = schedule.expire_member(session, merchant_id, member_id, now=now)
            if expired is not None:
                points += expired
                members += 1


def birthday_bonuses(engine: Engine, *, now: datetime) -> int:
    """Give each member their program's birthday bonus once a year, on their birthday.
    Returns the bonuses given."""
    given = 0
    with Session(engine) as session:  # reads only
        programs = schedule.programs_where(session, schedule.has_birthday_bonus)
    for program_id, merchant_id in programs:
        with Session(engine) as session:
            today, due = schedule.birthday_candidates(session, program_id, now=now)
        for member_id in due:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                given += schedule.give_birthday_bonus(session, merchant_id, member_id,
                                                      today=today, now=now)  # fmt: skip
    return given
