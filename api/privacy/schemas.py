"""Requests and answers of the privacy routes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from api.validation import RequestModel


class ErasureRequest(RequestModel):
    reason: str = Field(
        min_length=3, max_length=300, description="why (a request by the member, ...)"
    )


class ErasurePublic(BaseModel):
    member_id: UUID
    name: str
    voided_at: datetime | None
