"""Bodies of the Apple web service and of the operator's device log view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

from api.apple_webservice.models import AppleDeviceLog
from api.validation import RequestModel


class RegistrationBody(RequestModel):
    model_config = ConfigDict(extra="ignore")

    # APNs tokens are hex; Android wallet apps send FCM registration ids (service.register
    # holds Apple Wallet's to hex).
    pushToken: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_:.-]{16,200}$")]  # noqa: N815 (Apple's key)


class LogBody(RequestModel):
    """``{"logs": [...]}``. Any number of lines parses (the body's size is bounded by
    ``api.limits``): what fits the bounds in ``device_logs`` is kept, the rest dropped."""

    model_config = ConfigDict(extra="ignore")

    logs: list[str]


class SerialsPublic(BaseModel):
    serialNumbers: list[str]  # noqa: N815 (Apple's keys)
    lastUpdated: str  # noqa: N815


class DeviceLogPublic(BaseModel):
    """A line someone posted to ``/apple/v1/log``, unverified.

    Apple's protocol lets anyone post there without a credential, about any serial number:
    the text and everything parsed from it (``unverified_*``) is what the sender claims, not
    a fact about a card. It is listed for the merchant whose serial it mentions.
    """

    id: int
    received_at: datetime
    is_verified: Literal[False] = False
    unverified_text: str
    unverified_serial_number: str | None
    unverified_status_code: int | None
    unverified_error: str | None

    @classmethod
    def of(cls, log: AppleDeviceLog) -> DeviceLogPublic:
        assert log.id is not None
        return cls(
            id=log.id,
            received_at=log.created_at,
            unverified_text=log.message,
            unverified_serial_number=log.serial_number,
            unverified_status_code=log.status_code,
            unverified_error=log.error,
        )
