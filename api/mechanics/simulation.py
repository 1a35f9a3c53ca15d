"""Simulation of a draft of a program's rules over its real purchases, beside the live rules.

Both rule sets replay the same purchases with the pure earning engine (``api.ledger.engine``),
in the order they happened; nothing is written (the caller gives a read-only session). The
purchases are read in one streamed query of the few columns needed, and the arithmetic is
plain ints and Decimals, so 100,000 purchases take a few seconds (``bench/simulation.py``).

What the replay counts, and where it is rough:

- a purchase earns on its amount net of what was refunded (a refund takes points back pro
  rata, so this is the same but for rounding); a purchase refunded in full earns nothing;
- tiers move up at each purchase, by the rules' metric and window, starting from the
  purchases before the window that the tier window covers; a downgrade (``automatic`` or
  ``grace``, its grace period not waited for) is applied once at the end;
- liability: the points (or stamps) members hold now, less what the window's purchases
  really earned, plus what they would have earned (redemptions and expiry as they really happened);
- a reward is "unlocked" for each member whose simulated balance covers its cost;
- cost: points issued times ``point_value`` (what one point, or one stamp, is worth in the
  program's currency; 1 by default, the usual "1 point = 1 rouble"), as a share of revenue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from sqlalchemy import Engine
from sqlmodel import Session

from api.db import reading
from api.ledger.engine import (
    points_for_purchase,
    stamps_for_purchase,
    tier_for,
    tier_rank,
    tier_window_start,
)
from api.mechanics import repository
from api.programs.models import Program, ProgramKind
from api.programs.rules import Downgrade, ProgramRules, TierMetric, TierWindow, rules_of
from api.programs.service import get_program
from api.rewards.models import Reward
from api.rewards.repository import list_rewards

_CENT = Decimal("0.01")


@contextmanager
def read_only_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction cannot write (PostgreSQL refuses any write in it; SQLite
    takes a deferred, shared BEGIN) and is rolled back at the end."""
    with reading(engine) as session, session.begin():
        if engine.dialect.name == "postgresql":
            session.connection().exec_driver_sql("SET TRANSACTION READ ONLY")
        yield session
        session.rollback()


@dataclass(slots=True)
class TierCount:
    tier: str | None
    members: int


@dataclass(slots=True)
class RewardReach:
    reward_id: UUID
    name: str
    cost: int
    members: int


@dataclass(slots=True)
class Outcome:
    """What one set of rules would have done over the window."""

    issued: int = 0
    liability: int = 0
    liability_value: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    cost_percent: Decimal | None = None
    tiers: list[TierCount] = field(default_factory=list)
    rewards: list[RewardReach] = field(default_factory=list)


@dataclass(slots=True)
class Simulation:
    since: datetime
    until: datetime
    days: int
    currency: str
    unit: str
    point_value: Decimal
    purchases: int
    members: int
    revenue: Decimal
    live: Outcome
    draft: Outcome
    members_affected: int


@dataclass(slots=True)
class _Member:
    """One member's state in one replay."""

    tier: str | None
    bought: bool = False  # in the window (before it, purchases only move the tier)
    issued: int = 0
    day: date | None = None
    today: int = 0
    metric: Decimal = Decimal(0)  # the tier metric within the window
    counted: deque[tuple[datetime, Decimal]] = field(default_factory=deque)


class _Replay:
    """One rule set's replay, fed one purchase at a time in the order they happened."""

    def __init__(self, rules: ProgramRules, kind: ProgramKind, since: datetime) -> None:
        self.rules, self.is_stamps, self.since = rules, kind == ProgramKind.stamps, since
        self.members: dict[UUID, _Member] = {}
        self.issued = 0
        self._levels = rules.tiers.levels
        self._multipliers = {level.name: level.earn_multiplier for level in self._levels}
        self._zone = rules.zone

    def feed(self, member_id: UUID, at: datetime, amount: Decimal) -> None:
        state = self.members.get(member_id)
        if state is None:
            state = self.members[member_id] = _Member(tier=None)
        day = at.astimezone(self._zone).date()
        if day != state.day:
            state.day, state.today = day, 0
        if self.is_stamps:
            earned = stamps_for_purchase(amount, self.rules.stamps, stamped_today=state.today)
        else:
            multiplier = Decimal(1)
            if state.tier is not None:
                multiplier = self._multipliers.get(state.tier, multiplier)
            earned = points_for_purchase(
                amount, self.rules.earn, multiplier=multiplier, earned_today=state.today
            )
        state.today += earned.amount
        if at >= self.since:
            state.bought = True
            state.issued += earned.amount
            self.issued += earned.amount
        if self._levels:
            self._count(state, at, amount, earned.amount)

    def _count(self, state: _Member, at: datetime, amount: Decimal, earned: int) -> None:
        tiers = self.rules.tiers
        metric = tiers.metric
        value = (
            amount
            if metric is TierMetric.spend
            else Decimal(1)
            if metric is TierMetric.visits
            else Decimal(earned)
        )
        state.metric += value
        if tiers.window is not TierWindow.lifetime:
            state.counted.append((at, value))
            self._expire(state, at)
        target = tier_for(state.metric, self._levels)
        name = target.name if target else None
        if tier_rank(name, self._levels) > tier_rank(state.tier, self._levels):
            state.tier = name

    def _expire(self, state: _Member, now: datetime) -> None:
        start = tier_window_start(now, self.rules.tiers, self._zone)
        while state.counted and start is not None and state.counted[0][0] < start:
            state.metric -= state.counted.popleft()[1]

    def finish(self, now: datetime) -> None:
        """The downgrades the nightly evaluation would make by ``now``."""
        if not self._levels or self.rules.tiers.downgrade is Downgrade.none:
            return
        for state in self.members.values():
            if self.rules.tiers.window is not TierWindow.lifetime:
                self._expire(state, now)
            target = tier_for(state.metric, self._levels)
            state.tier = target.name if target else None


def window_start(rules: ProgramRules, since: datetime) -> datetime | None:
    """From when the replay must read purchases so the tiers start where they stood."""
    if not rules.tiers.levels:
        return since
    start = tier_window_start(since, rules.tiers, rules.zone)
    return None if start is None else min(start, since)


def simulate(
    session: Session,
    merchant_id: UUID,
    program_id: UUID,
    draft: ProgramRules,
    *,
    days: int,
    point_value: Decimal,
    now: datetime,
) -> Simulation:
    """Replay the last ``days`` of the program's purchases under ``draft`` and the live rules.

    Raises:
        ProgramNotFound: the merchant has no such program.
    """
    program = get_program(session, merchant_id, program_id)
    live = rules_of(program)
    since = now - timedelta(days=days)
    starts = [window_start(live, since), window_start(draft, since)]
    earliest = None if None in starts else min(s for s in starts if s is not None)
    replays = {
        "live": _Replay(live, program.kind, since),
        "draft": _Replay(draft, program.kind, since),
    }
    recorded: dict[UUID, int] = {}
    purchases, revenue = 0, Decimal(0)
    buyers: set[UUID] = set()
    rows = repository.stream_purchases(session, merchant_id, program.id, earliest, until=now)
    is_stamps = program.kind == ProgramKind.stamps
    for member_id, at, amount, refunded, points_earned, stamps_earned in rows:
        net = amount - refunded
        if net <= 0:
            continue
        for replay in replays.values():
            replay.feed(member_id, at, net)
        if at >= since:
            purchases += 1
            revenue += net
            buyers.add(member_id)
            earned = stamps_earned if is_stamps else points_earned
            if refunded:
                earned = _share(earned, net, amount)
            recorded[member_id] = recorded.get(member_id, 0) + earned
    balances = repository.balances(session, merchant_id, program.id, stamps=is_stamps)
    rewards = [r for r in list_rewards(session, merchant_id, program.id) if r.is_active]
    outcomes = {
        name: _outcome(replay, program, balances, recorded, rewards, revenue, point_value, now)
        for name, replay in replays.items()
    }
    return Simulation(
        since=since,
        until=now,
        days=days,
        currency=live.currency,
        unit="stamps" if is_stamps else "points",
        point_value=point_value,
        purchases=purchases,
        members=len(buyers),
        revenue=revenue,
        live=outcomes["live"],
        draft=outcomes["draft"],
        members_affected=_affected(replays["live"], replays["draft"]),
    )


def _share(points: int, net: Decimal, amount: Decimal) -> int:
    return int((Decimal(points) * net / amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _outcome(
    replay: _Replay,
    program: Program,
    balances: dict[UUID, int],
    recorded: dict[UUID, int],
    rewards: list[Reward],
    revenue: Decimal,
    point_value: Decimal,
    now: datetime,
) -> Outcome:
    replay.finish(now)
    stamps = replay.is_stamps
    outcome = Outcome(issued=replay.issued)
    held: dict[UUID, int] = {}
    for member_id, balance in balances.items():
        state = replay.members.get(member_id)
        issued = state.issued if state else 0
        held[member_id] = max(balance - recorded.get(member_id, 0) + issued, 0)
    outcome.liability = sum(held.values())
    outcome.liability_value = (outcome.liability * point_value).quantize(_CENT)
    outcome.cost = (replay.issued * point_value).quantize(_CENT)
    if revenue > 0:
        outcome.cost_percent = (outcome.cost / revenue * 100).quantize(_CENT)
    counts: dict[str | None, int] = {}
    for state in replay.members.values():
        if not state.bought:
            continue
        counts[state.tier] = counts.get(state.tier, 0) + 1
    names: list[str | None] = [None, *(level.name for level in replay.rules.tiers.levels)]
    outcome.tiers = [TierCount(name, counts.get(name, 0)) for name in names]
    for reward in rewards:
        cost = (program.stamps_required or 0) if reward.costs_full_card else reward.cost_points
        if cost is None or reward.costs_full_card != stamps:
            continue
        reach = sum(1 for balance in held.values() if balance >= cost)
        outcome.rewards.append(RewardReach(reward.id, reward.name, cost, reach))
    return outcome


def _affected(live: _Replay, draft: _Replay) -> int:
    """Members whose points or tier differ between the two replays."""
    affected = 0
    for member_id, state in live.members.items():
        if not state.bought:
            continue
        other = draft.members.get(member_id)
        if other is None or (other.issued, other.tier) != (state.issued, state.tier):
            affected += 1
    return affected
