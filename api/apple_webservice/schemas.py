"""Bodies of the Apple web service and of the operator's device log view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.apple_webservice.models import AppleDeviceLog
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
