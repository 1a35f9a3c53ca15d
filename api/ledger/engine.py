"""The arithmetic of the mechanics: pure functions of amounts, rules and time, no database."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from api.birthday import is_birthday
from api.programs.rules import (
    BonusRules,
    EarnRules,
    ExpiryPolicy,
    ExpiryRules,
    Rounding,
    StampBasis,
    StampRules,
    Tier,
    TierRules,
    TierWindow,
)

_ROUNDING = {
    Rounding.down: ROUND_FLOOR,
    Rounding.nearest: ROUND_HALF_UP,
    Rounding.up: ROUND_CEILING,
}


@dataclass(frozen=True, slots=True)
class Earned:
    """What a purchase earns, and why it is less than the rate gives (a cap, a minimum)."""

    amount: int
    reason: str | None = None


def points_for_purchase(
    amount: Decimal, rules: EarnRules, *, multiplier: Decimal, earned_today: int
) -> Earned:
    if amount < rules.min_purchase:
        return Earned(0, f"below the minimum purchase of {rules.min_purchase}")
    raw = amount / rules.per_amount * rules.points * multiplier
    points = int(raw.quantize(Decimal(1), rounding=_ROUNDING[rules.rounding]))
    reason = None
    cap = rules.max_points_per_transaction
    if cap is not None and points > cap:
        points, reason = cap, f"capped at {cap} points per transaction"
    day_cap = rules.max_points_per_day
    if day_cap is not None and earned_today + points > day_cap:
        points = max(day_cap - earned_today, 0)
        reason = f"daily limit of {day_cap} points reached"
    return Earned(points, reason)


def birthday_multiplier(rules: BonusRules, birthday: date | None, today: date) -> Decimal:
    """What a purchase's points are multiplied by on ``today`` (the member's local day): the
    birthday multiplier within the window of ``birthday_window_days`` days that starts on the
    birthday (a 29 February birthday starts on 28 February in other years), else 1."""
    if birthday is None or rules.birthday_multiplier == 1:
        return Decimal(1)
    window = range(rules.birthday_window_days)
    if any(is_birthday(birthday, today - timedelta(days=back)) for back in window):
        return rules.birthday_multiplier
    return Decimal(1)


def is_surprise(share_percent: Decimal, draw: float) -> bool:
    """Whether a draw in [0, 1) falls in the surprised share of purchases."""
    return Decimal(repr(draw)) * 100 < share_percent


def stamps_for_purchase(amount: Decimal, rules: StampRules, *, stamped_today: int) -> Earned:
    if amount < rules.min_purchase:
        return Earned(0, f"below the minimum purchase of {rules.min_purchase}")
    if rules.basis is StampBasis.visit:
        stamps = 1
    else:
        assert rules.stamp_amount is not None  # the rules model guarantees it
        stamps = int(amount // rules.stamp_amount)
    day_cap = rules.max_stamps_per_day
    if day_cap is not None and stamped_today + stamps > day_cap:
        return Earned(max(day_cap - stamped_today, 0), f"daily limit of {day_cap} stamps reached")
    return Earned(stamps)


def reversal_points(points_earned: int, amount: Decimal, refunded_before: Decimal,
                    refund: Decimal) -> int:  # fmt: skip
    """Points to take back for a refund, pro rata, so that the refunds of a purchase together
    take back exactly what it earned (rounding never drifts)."""
    if amount <= 0:
        return 0

    def share(refunded: Decimal) -> int:
        value = Decimal(points_earned) * refunded / amount
        return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    return share(refunded_before + refund) - share(refunded_before)


def expiry_for(earned_at: datetime, rules: ExpiryRules, zone: object) -> datetime | None:
    """When points earned at ``earned_at`` expire (end of day in the program's zone)."""
    if rules.policy is ExpiryPolicy.never:
        return None
    local = earned_at.astimezone(zone)  # type: ignore[arg-type]
    if rules.policy is ExpiryPolicy.days:
        assert rules.days is not None
        last_day = local.date() + timedelta(days=rules.days)
    elif rules.policy is ExpiryPolicy.end_of_month:
        last = calendar.monthrange(local.year, local.month)[1]
        last_day = local.date().replace(day=last)
    else:
        last_day = local.date().replace(month=12, day=31)
    end = datetime.combine(last_day, time(23, 59, 59), tzinfo=local.tzinfo)
    return end.astimezone(earned_at.tzinfo)


def tier_window_start(now: datetime, rules: TierRules, zone: object) -> datetime | None:
    """Start of the period tier qualification counts (None: all time)."""
    if rules.window is TierWindow.lifetime:
        return None
    if rules.window is TierWindow.rolling_days:
        assert rules.window_days is not None
        return now - timedelta(days=rules.window_days)
    local = now.astimezone(zone)  # type: ignore[arg-type]
    return datetime(local.year, 1, 1, tzinfo=local.tzinfo).astimezone(now.tzinfo)


def tier_for(value: Decimal, levels: list[Tier]) -> Tier | None:
    """The highest tier whose threshold ``value`` reaches."""
    reached = [level for level in levels if value >= level.threshold]
    return reached[-1] if reached else None


def tier_rank(name: str | None, levels: list[Tier]) -> int:
    names = [level.name for level in levels]
    return names.index(name) + 1 if name in names else 0
