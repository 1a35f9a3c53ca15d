"""Apple's pass-update web service: devices, registrations, pending pushes and device logs
(the storage Apple's guide describes: devices, passes, and registrations between them)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import UTCDateTime, merchant_scope, optional_timestamp, timestamp

_AUTO_ID = BigInteger().with_variant(Integer(), "sqlite")


class AppleDevice(SQLModel, table=True):
    """A Wallet on one device, by the ``deviceLibraryIdentifier`` it sent, with its push token."""

    __tablename__ = "apple_device"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    device_library_identifier: str = Field(max_length=128, unique=True)
    push_token: str = Field(max_length=200)
    # Which wallet app (``android_clients.ClientKind``): where its pushes go.
    client: str = Field(default="apple", max_length=20)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


class AppleRegistration(SQLModel, table=True):
    __tablename__ = "apple_registration"
    __table_args__ = (UniqueConstraint("device_id", "card_id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_scope()
    device_id: UUID = Field(foreign_key="apple_device.id", index=True, ondelete="CASCADE")
    card_id: UUID = Field(foreign_key="card.id", index=True, ondelete="CASCADE")
    created_at: datetime = timestamp()


class ApplePush(SQLModel, table=True):
    """A push still to send: at most one per registration, so bursts of changes coalesce.

    ``due_at`` is both the retry time and the lease: a worker that claims a row moves it a
    minute ahead, so if the worker dies the row becomes due again and is sent by another.
    """

    __tablename__ = "apple_push"

    id: int | None = Field(default=None, primary_key=True, sa_type=_AUTO_ID)
    registration_id: UUID = Field(
        foreign_key="apple_registration.id", unique=True, ondelete="CASCADE"
    )
    card_id: UUID = Field(index=True)
    push_token: str = Field(max_length=200)
    client: str = Field(default="apple", max_length=20)
    generation: int = 0  # bumped when another change arrives while the push is pending
    attempts: int = 0
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = timestamp()
    # Still undelivered after the retry budget (or held by a refused certificate): never
    # deleted, retried, and shown to the operator until APNs accepts it.
    stale_at: datetime | None = optional_timestamp()


class AppleDeviceLog(SQLModel, table=True):
    """A line posted to ``/v1/log``, parsed where it says which pass and what failed.

    Unauthenticated (Apple's protocol has no credential there): every column but ``id``,
    ``client_key`` and ``created_at`` is what the sender claims. ``merchant_id`` is the owner
    of the serial the line mentions, so the merchant can read it, and nothing more.
    """

    __tablename__ = "apple_device_log"
    __table_args__ = (
        Index("ix_apple_device_log_client_key_created_at", "client_key", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=_AUTO_ID)
    merchant_id: UUID | None = Field(default=None, index=True)
    serial_number: str | None = Field(default=None, max_length=64)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=300)
    message: str = Field(sa_type=String(2000))
    # A hash of the sender's address (IPv6: its /64), for the rate limit; deleted with the row.
    client_key: str | None = Field(default=None, max_length=32)
    created_at: datetime = timestamp(index=True)
