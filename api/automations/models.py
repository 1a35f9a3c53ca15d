"""Automations per program (birthday greeting, points expiring, win-back, tier change, reward
available, the message after a purchase) and the occasions they fired for, so each fires once
per member and occasion."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_fk, timestamp


class AutomationKind(StrEnum):
    birthday = "birthday"
    points_expiring = "points_expiring"
    win_back = "win_back"
    tier_up = "tier_up"
    tier_down = "tier_down"
    reward_available = "reward_available"
    after_purchase = "after_purchase"  # points earned and the balance, coalesced per minute


class Automation(SQLModel, table=True):
    program_id: UUID = Field(foreign_key="program.id", primary_key=True, ondelete="CASCADE")
    kind: AutomationKind = Field(sa_type=String(20), primary_key=True)
    merchant_id: UUID = merchant_fk()
    enabled: bool = True
    text: str = Field(max_length=300)
    days: int | None = None  # points_expiring: days before; win_back: days without a visit
    # The channels in order of preference (automations.channels); None: the default order.
    channels: list[str] | None = Field(default=None, sa_type=JSON)


class AutomationFired(SQLModel, table=True):
    __tablename__ = "automation_fired"
    __table_args__ = (UniqueConstraint("member_id", "kind", "occasion"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: UUID = Field(foreign_key="member.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(20))
    occasion: str = Field(max_length=40)  # e.g. "2026" for a birthday, a tier name, a date
    fired_at: datetime = timestamp()


class PurchaseMessagePending(SQLModel, table=True):
    """The after-purchase message of a member, waiting for ``send_after`` so that purchases
    close together make one message: the first purchase inserts the row, later ones add their
    points (one upsert), and the automations job sends and deletes it once due. ``id`` is the
    message's idempotency key."""

    __tablename__ = "purchase_message_pending"

    member_id: UUID = Field(foreign_key="member.id", primary_key=True, ondelete="CASCADE")
    id: UUID = Field(unique=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", ondelete="CASCADE")
    points: int = 0
    purchases: int = 0
    first_at: datetime = timestamp()
    send_after: datetime = Field(sa_type=UTCDateTime, index=True)
