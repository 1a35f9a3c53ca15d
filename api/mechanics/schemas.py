"""Request and response bodies of the rules editor."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.mechanics.models import RulesVersion
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
