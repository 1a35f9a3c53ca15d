"""Request and response bodies for managing staff (the scanner itself is HTML)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.staff.models import Staff
from api.validation import RequestModel


class StaffCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Olga", "store_id": "8a1c0d52-7c1b-4d33-9a55-2b0f5e1b7a10", "pin": "4821"}
            ]
        },
    )

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    store_id: UUID = Field(description="The store whose scanner this person uses")
    pin: str = Field(pattern=r"^[0-9]{4,8}$", description="4 to 8 digits, stored hashed")


class StaffPublic(BaseModel):
    id: UUID
    name: str
    store_id: UUID
    code: str = Field(description="What the staff member types with the PIN to sign in")
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, staff: Staff) -> StaffPublic:
        return cls.model_validate(staff, from_attributes=True)
