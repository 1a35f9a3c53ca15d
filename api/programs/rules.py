"""A program's mechanics: how purchases earn, tiers, bonuses and expiry.

Stored as JSON on the program, validated by these models on every write, defaulted from the
design's ``[rules]`` table in ``design.toml``.
"""

from __future__ import annotations

import functools
import json
from datetime import time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator, model_validator

from api.programs.models import Program
from api.validation import STORED, CurrencyCode, RequestModel

Points = Annotated[int, Field(ge=0, le=1_000_000)]


class Rounding(StrEnum):
    down = "down"
    nearest = "nearest"
    up = "up"


class StampBasis(StrEnum):
    visit = "visit"  # one stamp per qualifying purchase
    amount = "amount"  # one stamp per `stamp_amount` spent


class TierMetric(StrEnum):
    points_earned = "points_earned"
    spend = "spend"
    visits = "visits"


class TierWindow(StrEnum):
    lifetime = "lifetime"
    calendar_year = "calendar_year"
    rolling_days = "rolling_days"


class Downgrade(StrEnum):
    none = "none"
    automatic = "automatic"
    grace = "grace"


class ExpiryPolicy(StrEnum):
    never = "never"
    days = "days"
    end_of_month = "end_of_month"
    end_of_year = "end_of_year"


class _Strict(RequestModel):
    model_config = ConfigDict(extra="forbid")


class EarnRules(_Strict):
    """``points`` points for every ``per_amount`` spent (5 per 100 RUB by default)."""

    points: Points = 5
    per_amount: Decimal = Field(default=Decimal(100), gt=0, le=Decimal(1_000_000))
    rounding: Rounding = Rounding.down
    min_purchase: Decimal = Field(default=Decimal(0), ge=0)
    max_points_per_transaction: Points | None = None
    max_points_per_day: Points | None = None


class StampRules(_Strict):
    basis: StampBasis = StampBasis.visit
    stamp_amount: Decimal | None = Field(default=None, gt=0)
    min_purchase: Decimal = Field(default=Decimal(0), ge=0)
    max_stamps_per_day: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _amount_needs_a_step(self) -> Self:
        if self.basis is StampBasis.amount and self.stamp_amount is None:
            raise ValueError("stamp_amount is required when basis is 'amount'")
        return self


class Tier(_Strict):
    name: str = Field(min_length=1, max_length=40)
    threshold: Decimal = Field(ge=0)
    discount_percent: int = Field(default=0, ge=0, le=100)
    earn_multiplier: Decimal = Field(default=Decimal(1), ge=0, le=10)


class TierRules(_Strict):
    metric: TierMetric = TierMetric.spend
    window: TierWindow = TierWindow.lifetime
    window_days: int | None = Field(default=None, ge=1, le=3660)
    downgrade: Downgrade = Downgrade.none
    grace_days: int | None = Field(default=None, ge=1, le=3660)
    levels: list[Tier] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.window is TierWindow.rolling_days and self.window_days is None:
            raise ValueError("window_days is required for a rolling window")
        if self.downgrade is Downgrade.grace and self.grace_days is None:
            raise ValueError("grace_days is required for downgrade 'grace'")
        thresholds = [level.threshold for level in self.levels]
        if thresholds != sorted(thresholds) or len(set(thresholds)) != len(thresholds):
            raise ValueError("tier thresholds must be strictly increasing")
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise ValueError("tier names must be unique")
        return self


class SurpriseRules(_Strict):
    """Unannounced bonuses (Panera Bread): a qualifying purchase (in a points program, at or
    above the earn minimum) gets ``points`` with probability ``share_percent``, while the
    program's surprises this calendar month (its time zone) leave room in ``budget_points``.
    A refund takes back the purchase's points, never the surprise."""

    share_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    points: Points = 0
    budget_points: Points = 0

    @model_validator(mode="after")
    def _affordable(self) -> Self:
        if self.share_percent > 0 and self.points == 0:
            raise ValueError("points are required when share_percent is above 0")
        if self.points > self.budget_points and self.share_percent > 0:
            raise ValueError("budget_points must allow at least one surprise")
        return self


class BonusRules(_Strict):
    """Fixed bonuses, and what a birthday multiplies: purchases in the ``birthday_window_days``
    days starting on the member's birthday (in the program's time zone) earn their points
    times ``birthday_multiplier`` (Simons: double points in the birthday week), beside the
    fixed ``birthday_points``."""

    welcome_points: Points = 0
    birthday_points: Points = 0
    referrer_points: Points = 0
    referee_points: Points = 0
    birthday_multiplier: Decimal = Field(default=Decimal(1), ge=1, le=10, decimal_places=2)
    birthday_window_days: int = Field(default=7, ge=1, le=31)
    surprise: SurpriseRules = Field(default_factory=SurpriseRules)


class ExpiryRules(_Strict):
    policy: ExpiryPolicy = ExpiryPolicy.never
    days: int | None = Field(default=None, ge=1, le=3660)
    warn_days: int = Field(default=30, ge=0, le=365)

    @model_validator(mode="after")
    def _days(self) -> Self:
        if self.policy is ExpiryPolicy.days and self.days is None:
            raise ValueError("days is required for expiry policy 'days'")
        return self


class MessagingRules(_Strict):
    """When marketing email and SMS may go out (``api/messaging/policy.py``): never in the
    quiet hours, local time in the program's time zone (``quiet_start`` == ``quiet_end``: none),
    and at most ``max_marketing_per_week`` per member in any 7 days across all channels. A
    message held back waits in the outbox until it may go; service messages never wait."""

    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    max_marketing_per_week: int = Field(default=3, ge=1, le=100)

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _local_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a local time without an offset (the program's time zone applies)")
        return value


class ProgramRules(_Strict):
    """Everything configurable about a program's mechanics."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "currency": "RUB",
                    "earn": {"points": 5, "per_amount": "100", "max_points_per_day": 500},
                    "tiers": {
                        "metric": "spend",
                        "window": "rolling_days",
                        "window_days": 365,
                        "downgrade": "grace",
                        "grace_days": 30,
                        "levels": [
                            {"name": "Silver", "threshold": "10000", "discount_percent": 3},
                            {"name": "Gold", "threshold": "30000", "discount_percent": 5},
                        ],
                    },
                    "bonuses": {"welcome_points": 50, "birthday_points": 100},
                    "expiry": {"policy": "days", "days": 365},
                }
            ]
        },
    )

    currency: CurrencyCode = "RUB"
    timezone: str = "UTC"
    earn: EarnRules = Field(default_factory=EarnRules)
    stamps: StampRules = Field(default_factory=StampRules)
    tiers: TierRules = Field(default_factory=TierRules)
    bonuses: BonusRules = Field(default_factory=BonusRules)
    expiry: ExpiryRules = Field(default_factory=ExpiryRules)
    messaging: MessagingRules = Field(default_factory=MessagingRules)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a path
            raise ValueError(f"unknown time zone {value[:64]!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def discount_percent(self, tier: str | None) -> int:
        """The discount a member in ``tier`` gets at the till (0 without a tier)."""
        for level in self.tiers.levels:
            if level.name == tier:
                return level.discount_percent
        return 0


def rules_of(program: Program) -> ProgramRules:
    """The program's rules, validated once per distinct document (a purchase's rules were
    validated on every request before). The result is shared: never modify it."""
    return _parse_rules(json.dumps(program.rules or {}, sort_keys=True, default=str))


@functools.lru_cache(maxsize=256)
def _parse_rules(document: str) -> ProgramRules:
    return ProgramRules.model_validate(json.loads(document), context=STORED)
