"""Segment filters over member stats, and the query that finds the members they select.

This module builds that query without running it, so it is the segments' repository for
audiences (kept beside the filter it translates) and callers never write the SQL themselves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Self
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator
from sqlalchemy import ColumnElement, Select, and_, exists, extract, func, or_, select
from sqlmodel import col

from api.ledger import repository as ledger_repository
from api.ledger.models import Transaction, TransactionKind
from api.members.models import Member, MemberTag
from api.members.schemas import MAX_TAGS, Tag, distinct_tags
from api.segments.models import MemberRfm
from api.segments.rfm import RfmGroup
from api.validation import RequestModel

Days = Annotated[int, Field(ge=1, le=3650)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), decimal_places=2)]
TierName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class SegmentFilter(RequestModel):
    """Every condition given must hold (AND); leave a condition out to ignore it."""

    tiers: list[TierName] | None = Field(default=None, max_length=20)
    min_balance: Count | None = None
    max_balance: Count | None = None
    min_stamps: Count | None = None
    visited_within_days: Days | None = Field(default=None, description="a purchase in N days")
    not_visited_for_days: Days | None = Field(
        default=None, description="no purchase in the last N days (enrolled at least N days ago)"
    )
    min_visits: Count | None = None
    max_visits: Count | None = None
    min_spend: Money | None = None
    max_spend: Money | None = None
    birthday_month: int | None = Field(default=None, ge=1, le=12)
    store_visited: UUID | None = None
    enrolled_after: date | None = None
    enrolled_before: date | None = None
    rfm_groups: list[RfmGroup] | None = Field(default=None, max_length=8)
    tags_any: list[Tag] | None = Field(
        default=None, max_length=MAX_TAGS, description="the member has at least one of these"
    )
    tags_all: list[Tag] | None = Field(
        default=None, max_length=MAX_TAGS, description="the member has every one of these"
    )

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        pairs = (("min_balance", "max_balance"), ("min_visits", "max_visits"),
                 ("min_spend", "max_spend"))  # fmt: skip
        for low, high in pairs:
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{low} is above {high}")
        return self


def members_query(
    merchant_id: UUID, program_id: UUID, segment: SegmentFilter, *, now: datetime
) -> Select[UUID]:
    """``SELECT member.id`` of the program's members the filter selects."""
    stats = ledger_repository.purchase_stats(merchant_id)
    visits = func.coalesce(stats.c.visits, 0)
    spend = func.coalesce(stats.c.spend, 0)
    conditions: list[ColumnElement[bool]] = [
        col(Member.merchant_id) == merchant_id,
        col(Member.program_id) == program_id,
    ]
    s = segment
    if s.tiers:
        conditions.append(col(Member.tier).in_(s.tiers))
    if s.min_balance is not None:
        conditions.append(col(Member.points) >= s.min_balance)
    if s.max_balance is not None:
        conditions.append(col(Member.points) <= s.max_balance)
    if s.min_stamps is not None:
        conditions.append(col(Member.stamps) >= s.min_stamps)
    if s.visited_within_days is not None:
        conditions.append(stats.c.last_visit >= now - timedelta(days=s.visited_within_days))
    if s.not_visited_for_days is not None:
        since = now - timedelta(days=s.not_visited_for_days)
        conditions.append(col(Member.created_at) <= since)
        conditions.append(or_(stats.c.last_visit.is_(None), stats.c.last_visit < since))
    if s.min_visits is not None:
        conditions.append(visits >= s.min_visits)
    if s.max_visits is not None:
        conditions.append(visits <= s.max_visits)
    if s.min_spend is not None:
        conditions.append(spend >= s.min_spend)
    if s.max_spend is not None:
        conditions.append(spend <= s.max_spend)
    if s.birthday_month is not None:
        conditions.append(extract("month", col(Member.birthday)) == s.birthday_month)
    if s.store_visited is not None:
        conditions.append(
            exists().where(
                col(Transaction.member_id) == col(Member.id),
                col(Transaction.location_id) == s.store_visited,
                col(Transaction.kind) == TransactionKind.purchase,
            )
        )
    if s.enrolled_after is not None:
        conditions.append(col(Member.created_at) >= _midnight(s.enrolled_after))
    if s.enrolled_before is not None:
        conditions.append(col(Member.created_at) < _midnight(s.enrolled_before))
    if s.rfm_groups:
        conditions.append(
            exists().where(
                col(MemberRfm.member_id) == col(Member.id),
                col(MemberRfm.group).in_([g.value for g in s.rfm_groups]),
            )
        )
    if s.tags_any:
        conditions.append(_has_tag(s.tags_any))
    for tag in distinct_tags(s.tags_all or []):
        conditions.append(_has_tag([tag]))
    return (
        select(col(Member.id))
        .outerjoin(stats, stats.c.member_id == col(Member.id))
        .where(and_(*conditions))
        .order_by(col(Member.id))
    )


def _has_tag(tags: list[str]) -> ColumnElement[bool]:
    return exists().where(col(MemberTag.member_id) == col(Member.id), col(MemberTag.tag).in_(tags))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
