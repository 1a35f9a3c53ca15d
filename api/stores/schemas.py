"""Store bodies: what a merchant sends and what the API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.stores.models import Store
from api.validation import RequestModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
# Apple shows about 2 lines of relevantText; Google has no per-store text.
LockScreenText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
BeaconUuid = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True,
        pattern=r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
    ),
]  # fmt: skip
BeaconNumber = Annotated[int, Field(ge=0, le=65535)]


class StoreFields(RequestModel):
    name: Name
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    address: Text | None = None
    opening_hours: Annotated[str, StringConstraints(max_length=200)] | None = None
    relevant_text: LockScreenText | None = Field(
        default=None, description="Lock-screen text near this store (Apple Wallet)"
    )
    is_flagship: bool = Field(default=False, description="Shown on cards of new members")
    beacon_uuid: BeaconUuid | None = Field(default=None, description="The chain's iBeacon UUID")
    beacon_major: BeaconNumber | None = None
    beacon_minor: BeaconNumber | None = None

    @model_validator(mode="after")
    def _beacon_parts(self) -> Self:
        if self.beacon_uuid is None and (self.beacon_major is not None or
                                         self.beacon_minor is not None):  # fmt: skip
            raise ValueError("beacon_major and beacon_minor need a beacon_uuid")
        return self


class StoreCreate(StoreFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Arbat",
                    "latitude": 55.7522,
                    "longitude": 37.5929,
                    "address": "Arbat St, 10, Moscow",
                    "opening_hours": "Mo-Su 08:00-22:00",
                    "relevant_text": "Your coffee is 50 m away",
                }
            ]
        }
    )


class StoreUpdate(RequestModel):
    """A partial update: only the fields sent change (``null`` clears an optional one)."""

    name: Name | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    address: Text | None = None
    opening_hours: Annotated[str, StringConstraints(max_length=200)] | None = None
    relevant_text: LockScreenText | None = None
    is_flagship: bool | None = None
    beacon_uuid: BeaconUuid | None = None
    beacon_major: BeaconNumber | None = None
    beacon_minor: BeaconNumber | None = None


class StorePublic(BaseModel):
    id: UUID
    name: str
    latitude: float
    longitude: float
    address: str | None
    opening_hours: str | None
    relevant_text: str | None
    is_flagship: bool
    beacon_uuid: str | None
    beacon_major: int | None
    beacon_minor: int | None
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, store: Store) -> StorePublic:
        return cls.model_validate(store, from_attributes=True)


class RowError(BaseModel):
    line: int
    error: str


class ImportResult(BaseModel):
    created: int
    updated: int
    errors: list[RowError]
