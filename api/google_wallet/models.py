"""Google Wallet state: which class each program has, which object each card has and how far
it is synced, the notifications spent against Google's budget, and callback nonces seen."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import BigInteger, Integer, String
from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_fk, merchant_scope, optional_timestamp, timestamp

_AUTO_ID = BigInteger().with_variant(Integer(), "sqlite")


class GoogleClass(SQLModel, table=True):
    """The program's LoyaltyClass, and a digest of the body last written (a design or store
    change makes the digest differ, and the next sync patches the class)."""

    __tablename__ = "google_class"

    program_id: UUID = Field(foreign_key="program.id", primary_key=True, ondelete="CASCADE")
    merchant_id: UUID = merchant_fk()
    class_id: str = Field(max_length=160, unique=True)
    body_digest: str = Field(max_length=64)
    synced_at: datetime = timestamp()


class GoogleObject(SQLModel, table=True):
    """A card's LoyaltyObject and its sync state.

    ``synced_version`` is the card version Google has (0: not inserted yet). ``lease_until``
    is held by the worker syncing the card, so two workers never sync one card at once; a
    crashed worker's lease runs out. ``retry_at`` delays a card after Google failed.
    """

    __tablename__ = "google_object"

    card_id: UUID = Field(foreign_key="card.id", primary_key=True, ondelete="CASCADE")
    merchant_id: UUID = merchant_scope()
    object_id: str = Field(max_length=160, unique=True)
    class_id: str = Field(max_length=160)
    synced_version: int = 0
    synced_points: str | None = Field(default=None, max_length=300)
    # SHA-256 of the object body last written: a change that leaves it as it was is no PATCH
    body_digest: str | None = Field(default=None, max_length=64)
    synced_at: datetime | None = optional_timestamp()
    in_wallet: bool = False
    saved_at: datetime | None = optional_timestamp()
    removed_at: datetime | None = optional_timestamp()
    lease_until: datetime | None = optional_timestamp()
    retry_at: datetime | None = optional_timestamp()
    failures: int = 0
    last_error: str | None = Field(default=None, max_length=300)
    stale_at: datetime | None = optional_timestamp()  # pending changes past the retry budget


class GoogleNotification(SQLModel, table=True):
    """One notification asked of Google for a card (Google allows 3 per 24 hours)."""

    __tablename__ = "google_notification"

    id: int | None = Field(default=None, primary_key=True, sa_type=_AUTO_ID)
    card_id: UUID = Field(foreign_key="card.id", index=True, ondelete="CASCADE")
    kind: str = Field(sa_type=String(20))
    event_id: int | None = Field(default=None, index=True)  # the outbox row that asked for it
    sent_at: datetime = Field(sa_type=UTCDateTime, index=True)


class GoogleCallbackNonce(SQLModel, table=True):
    """A verified callback's nonce: Google may deliver a callback twice; we act once."""

    __tablename__ = "google_callback_nonce"

    nonce: str = Field(max_length=200, primary_key=True)
    object_id: str = Field(max_length=160)
    event_type: str = Field(max_length=10)
    received_at: datetime = timestamp(index=True)
