"""Request and response bodies of the rules editor."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.mechanics.models import RulesVersion
from api.mechanics.simulation import Simulation
from api.programs.rules import (
    BonusRules,
    EarnRules,
    ExpiryRules,
    MessagingRules,
    ProgramRules,
    StampRules,
    TierRules,
)
from api.validation import STORED, CurrencyCode, RequestModel

#: What ``confirm`` may name (``api.mechanics.service.BREAKING``).
Confirmable = Literal["currency", "stamps.basis"]


class CompleteRules(ProgramRules):
    """A whole rules document: every section is required (``GET`` it, change it, ``PUT`` it
    back). A missing section is refused, never defaulted; ``PATCH`` changes a part."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=None)

    currency: CurrencyCode
    timezone: str
    earn: EarnRules
    stamps: StampRules
    tiers: TierRules
    bonuses: BonusRules
    expiry: ExpiryRules
    messaging: MessagingRules


class RulesPublic(BaseModel):
    version: int = Field(description="1 until the rules first change; each change adds one")
    rules: ProgramRules


class RulesVersionPublic(BaseModel):
    id: UUID
    version: int
    before: ProgramRules | None
    after: ProgramRules
    confirmed: list[str]
    changed_by: UUID | None = Field(description="The API key; null for the first rules")
    changed_at: datetime

    @classmethod
    def of(cls, row: RulesVersion) -> RulesVersionPublic:
        return cls.model_validate(row, from_attributes=True, context=STORED)


class RulesRollback(RequestModel):
    version: int = Field(ge=1, le=1_000_000)


class SimulationRequest(RequestModel):
    """A draft of the rules to try over the program's purchases, beside the live rules."""

    rules: CompleteRules
    days: int = Field(default=90, ge=1, le=730, description="The last N days of purchases")
    point_value: Decimal = Field(
        default=Decimal(1),
        ge=0,
        le=Decimal(1_000_000),
        description="What one point (one stamp in a stamp program) is worth in the program's "
        "currency, to put the cost as a share of revenue; 1 by default (1 point = 1 rouble)",
    )


class TierCountPublic(BaseModel):
    tier: str | None = Field(description="null: members below every tier")
    members: int


class RewardReachPublic(BaseModel):
    reward_id: UUID
    name: str
    cost: int
    members: int = Field(description="Members whose balance would cover it")


class OutcomePublic(BaseModel):
    issued: int = Field(description="Points (stamps) the window's purchases would have earned")
    liability: int = Field(description="Points (stamps) members would hold now")
    liability_value: Decimal
    cost: Decimal = Field(description="issued x point_value")
    cost_percent: Decimal | None = Field(description="cost / revenue x 100; null: no revenue")
    tiers: list[TierCountPublic] = Field(description="Buyers of the window by tier at its end")
    rewards: list[RewardReachPublic]


class SimulationPublic(BaseModel):
    since: datetime
    until: datetime
    days: int
    currency: str
    unit: Literal["points", "stamps"]
    point_value: Decimal
    purchases: int = Field(description="Purchases in the window (not refunded in full)")
    members: int = Field(description="Members who bought in the window")
    revenue: Decimal = Field(description="Their amounts, net of refunds")
    live: OutcomePublic
    draft: OutcomePublic
    members_affected: int = Field(description="Buyers whose points or tier would differ")

    @classmethod
    def of(cls, simulation: Simulation) -> SimulationPublic:
        return cls.model_validate(simulation, from_attributes=True)
