"""Wallet-neutral value types: what one member's card shows.

The same :class:`LoyaltyCard` renders to an Apple ``pass.json`` and to a Google Wallet
loyalty object, so nothing here is named after either wallet's JSON keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Location:
    """A place where the card becomes relevant (a store)."""

    latitude: float
    longitude: float
    relevant_text: str | None = None
    altitude: float | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Beacon:
    """An iBeacon region; ``major``/``minor`` narrow one chain-wide UUID to a store."""

    proximity_uuid: str
    major: int | None = None
    minor: int | None = None
    relevant_text: str | None = None


@dataclass(frozen=True, slots=True)
class RelevantInterval:
    """A time (``start`` alone) or a window (``start`` to ``end``) when the card is relevant."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoyaltyCard:
    """The state of one member's card at one version."""

    serial_number: str
    member_name: str
    barcode_message: str
    points: int = 0
    stamps: int = 0
    stamps_required: int | None = None
    tier: str | None = None
    discount_percent: int | None = None
    member_since: date | None = None
    points_expiring: int | None = None  # the soonest-expiring points, and their last day
    points_expire_on: date | None = None
    message: str | None = None
    relevant_text: str | None = None
    locations: tuple[Location, ...] = ()
    beacons: tuple[Beacon, ...] = ()
    relevant_dates: tuple[RelevantInterval, ...] = ()
    expiration_date: datetime | None = None
    is_voided: bool = False
    web_service_url: str | None = None
    authentication_token: str | None = None
    extra_values: dict[str, str] = field(default_factory=dict)
    # Values whose change must not notify (Apple drops their fields' changeMessage): a message
    # that arrives when the card's notification budget is spent still lands, silently.
    quiet: frozenset[str] = frozenset()
    # Text values in the design's other languages: value name ("tier", "message") -> language
    # -> text; the fields above hold them in the design's own language.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
