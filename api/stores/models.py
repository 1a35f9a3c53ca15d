"""A merchant's stores: where cards become relevant on the lock screen."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, optional_timestamp, timestamp


class Store(SQLModel, table=True):
    """A store. ``closed_at`` retires it: it leaves every card, and its history stays."""

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    name: str = Field(max_length=100)
    latitude: float
    longitude: float
    address: str | None = Field(default=None, max_length=300)
    opening_hours: str | None = Field(default=None, max_length=200)
    relevant_text: str | None = Field(default=None, max_length=100)
    is_flagship: bool = False
    beacon_uuid: str | None = Field(default=None, max_length=36)  # one UUID per chain
    beacon_major: int | None = None
    beacon_minor: int | None = None
    created_at: datetime = timestamp()
    closed_at: datetime | None = optional_timestamp()


class StoreRefresh(SQLModel, table=True):
    """A merchant whose stores changed: the worker re-chooses every card's stores."""

    __tablename__ = "store_refresh"

    merchant_id: UUID = Field(foreign_key="merchant.id", primary_key=True, ondelete="CASCADE")
    requested_at: datetime = timestamp()
    done_at: datetime | None = optional_timestamp()
