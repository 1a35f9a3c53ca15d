"""RFM: recency, frequency and monetary scores 1-5 by quintiles within a program, and the
named groups marketers use (Champions ... Lost). Recomputed daily by ``segments.tasks``, and
on demand (:func:`refresh_if_stale`) before scores are read, when a member has none yet or
bought since, so a member who joined or bought today is never judged by yesterday's scores.

A member with less than 30 days of history is never "lost" (nor at risk, hibernating or
can't-lose): their whole history is recent, whatever the quintiles say about hours.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from sqlmodel import Session

from api.clock import as_utc
from api.programs.models import Program
from api.segments import repository as segment_repository

logger = logging.getLogger(__name__)
RECOMPUTE_AFTER = timedelta(hours=20)
SETTLING_DAYS = 30  # history shorter than this cannot show a customer drifting away


class RfmGroup(StrEnum):
    champions = "champions"
    loyal = "loyal"
    potential = "potential"
    new = "new"
    at_risk = "at_risk"
    cant_lose = "cant_lose"
    hibernating = "hibernating"
    lost = "lost"


def group_of(recency: int, frequency: int) -> RfmGroup:
    """The group for R and F scores (M refines within a group; it is kept for filters)."""
    if recency >= 4 and frequency >= 4:
        return RfmGroup.champions
    if recency >= 3 and frequency >= 4:
        return RfmGroup.loyal
    if recency >= 4 and frequency == 1:
        return RfmGroup.new
    if recency >= 3:
        return RfmGroup.potential
    if frequency >= 4:
        return RfmGroup.cant_lose if recency == 1 else RfmGroup.at_risk
    if recency == 2:
        return RfmGroup.at_risk if frequency == 3 else RfmGroup.hibernating
    return RfmGroup.lost


def quintile_scores(values: Sequence[float]) -> list[int]:
    """Score 1-5 by quintile, higher value = higher score; equal values score the same."""
    ordered = sorted(values)
    n = len(ordered)
    return [1 + (5 * bisect.bisect_left(ordered, v)) // n for v in values] if n else []


@dataclass(frozen=True, slots=True)
class MemberActivity:
    member_id: UUID
    days_since: float  # since the last purchase, or since enrolment when none
    visits: int
    spend: Decimal
    history_days: float = SETTLING_DAYS  # since enrolment


def settled_group(recency: int, frequency: int, history_days: float) -> RfmGroup:
    """:func:`group_of`, with a member of less than 30 days counted as recent: new (one
    purchase or none), potential or champions, never lost."""
    if history_days < SETTLING_DAYS:
        recency = max(recency, 4)
    return group_of(recency, frequency)


def score(activity: Sequence[MemberActivity]) -> list[tuple[UUID, int, int, int, RfmGroup]]:
    recency = quintile_scores([-a.days_since for a in activity])  # recent = high
    frequency = quintile_scores([a.visits for a in activity])
    monetary = quintile_scores([float(a.spend) for a in activity])
    return [
        (a.member_id, r, f, m, settled_group(r, f, a.history_days))
        for a, r, f, m in zip(activity, recency, frequency, monetary, strict=True)
    ]


def program_activity(
    session: Session, merchant_id: UUID, program_id: UUID, now: datetime
) -> list[MemberActivity]:
    rows = segment_repository.member_purchases(session, merchant_id, program_id)
    return [
        MemberActivity(
            member_id=member_id,
            days_since=(now - as_utc(last_visit or created_at)).total_seconds() / 86400,
            visits=visits or 0,
            spend=Decimal(spend or 0),
            history_days=(now - as_utc(created_at)).total_seconds() / 86400,
        )
        for member_id, created_at, visits, spend, last_visit in rows
    ]


def recompute_program(session: Session, program: Program, now: datetime) -> int:
    """Replace the program's scores with ones computed now. Returns the members scored."""
    segment_repository.lock_program_scores(session, program.id)
    scored = score(program_activity(session, program.merchant_id, program.id, now))
    segment_repository.replace_rfm(
        session,
        program.id,
        [
            {
                "member_id": member_id,
                "merchant_id": program.merchant_id,
                "program_id": program.id,
                "recency": r,
                "frequency": f,
                "monetary": m,
                "group": group.value,
                "computed_at": now,
            }  # fmt: skip
            for member_id, r, f, m, group in scored
        ],
    )
    return len(scored)


def refresh_if_stale(session: Session, program: Program, now: datetime) -> bool:
    """Recompute the program's scores when a member has none or bought since they were
    computed (quintiles are relative, so the whole program is scored again). Returns whether
    it recomputed. One aggregate query when nothing changed."""
    if not segment_repository.has_stale_rfm(session, program.merchant_id, program.id):
        return False
    recompute_program(session, program, now)
    return True


def programs_due(session: Session, *, now: datetime) -> list[Program]:
    """The programs whose scores are older than 20 hours (or were never computed)."""
    last = segment_repository.rfm_computed_at(session)
    return [
        program
        for program in segment_repository.programs(session)
        if (computed := last.get(program.id)) is None or as_utc(computed) <= now - RECOMPUTE_AFTER
    ]
