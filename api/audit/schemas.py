"""The audit log as the API answers it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel


class AuditEntryPublic(BaseModel):
    id: UUID
    actor_kind: str
    actor_id: UUID | None
    actor_label: str
    action: str
    object_type: str
    object_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    address: str | None
    created_at: datetime
