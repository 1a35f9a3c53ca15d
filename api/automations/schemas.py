"""Automation bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from api.automations.models import AutomationKind
from api.validation import RequestModel


class AutomationUpdate(RequestModel):
    enabled: bool = True
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    days: int | None = Field(default=None, ge=1, le=365)


class AutomationPublic(BaseModel):
    kind: AutomationKind
    enabled: bool
    text: str
    days: int | None
