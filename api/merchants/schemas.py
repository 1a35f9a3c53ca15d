"""Request and response bodies for API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, StringConstraints

from api.merchants.models import ApiKey, Role
from api.validation import RequestModel


class ApiKeyCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Till 1", "role": "pos"}]}
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    role: Role


class ApiKeyPublic(BaseModel):
    id: UUID
    name: str
    role: Role
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyPublic:
        return cls.model_validate(key, from_attributes=True)


class ApiKeyCreated(ApiKeyPublic):
    api_key: str  # shown once; only its hash is stored
