"""Automation bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.automations.channels import DEFAULT_CHANNELS, ChannelList, ChannelName
from api.automations.models import Automation, AutomationKind
from api.validation import RequestModel


class AutomationUpdate(RequestModel):
    enabled: bool = True
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    days: int | None = Field(default=None, ge=1, le=365)
    channels: ChannelList | None = Field(
        default=None, description="In order of preference; omitted: wallet, email, sms"
    )


class AutomationPublic(BaseModel):
    kind: AutomationKind
    enabled: bool
    text: str
    days: int | None
    channels: list[ChannelName]

    @classmethod
    def of(cls, row: Automation) -> AutomationPublic:
        channels = [ChannelName(c) for c in row.channels or DEFAULT_CHANNELS]
        return cls(kind=row.kind, enabled=row.enabled, text=row.text, days=row.days,
                   channels=channels)  # fmt: skip
