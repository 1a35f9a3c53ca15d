"""Bodies of the Apple web service and of the operator's delivery views."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.apple_webservice.models import AppleDeviceLog
from api.google_wallet.schemas import GoogleDeliveryPublic
from api.validation import RequestModel


class RegistrationBody(RequestModel):
    model_config = ConfigDict(extra="ignore")

    pushToken: Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f]{16,200}$")]  # noqa: N815 (Apple's key)


class LogBody(RequestModel):
    model_config = ConfigDict(extra="ignore")

    logs: list[Annotated[str, StringConstraints(max_length=10_000)]] = Field(max_length=100)


class SerialsPublic(BaseModel):
    serialNumbers: list[str]  # noqa: N815 (Apple's keys)
    lastUpdated: str  # noqa: N815


class DeliveryPublic(BaseModel):
    """What the operator needs to see whether a card reached the phones."""

    version: int
    update_tag: str
    updated_at: datetime
    registered_devices: int
    last_push_at: datetime | None
    last_push_status: str | None
    last_fetched_at: datetime | None
    last_fetched_version: int | None
    is_current_on_devices: bool
    google: GoogleDeliveryPublic | None = None  # null: no Google Wallet object (yet)


class DeviceLogPublic(BaseModel):
    id: int
    serial_number: str | None
    status_code: int | None
    error: str | None
    message: str
    created_at: datetime

    @classmethod
    def of(cls, log: AppleDeviceLog) -> DeviceLogPublic:
        return cls.model_validate(log, from_attributes=True)
