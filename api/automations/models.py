"""Automations per program (birthday greeting, points expiring, win-back, tier change, reward
available) and the occasions they fired for, so each fires once per member and occasion."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, timestamp


class AutomationKind(StrEnum):
    birthday = "birthday"
    points_expiring = "points_expiring"
    win_back = "win_back"
    tier_up = "tier_up"
    tier_down = "tier_down"
    reward_available = "reward_available"


class Automation(SQLModel, table=True):
    program_id: UUID = Field(foreign_key="program.id", primary_key=True, ondelete="CASCADE")
    kind: AutomationKind = Field(sa_type=String(20), primary_key=True)
    merchant_id: UUID = merchant_fk()
    enabled: bool = True
    text: str = Field(max_length=300)
    days: int | None = None  # points_expiring: days before; win_back: days without a visit


class AutomationFired(SQLModel, table=True):
    __tablename__ = "automation_fired"
    __table_args__ = (UniqueConstraint("member_id", "kind", "occasion"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(20))
    occasion: str = Field(max_length=40)  # e.g. "2026" for a birthday, a tier name, a date
    fired_at: datetime = timestamp()
