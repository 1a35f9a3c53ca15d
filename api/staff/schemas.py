"""Request and response bodies for managing staff (the scanner itself is HTML)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.staff.models import Staff, StaffRole
from api.validation import RequestModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,8}$", description="4 to 8 digits, stored hashed")]


class StaffCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Olga", "store_id": "8a1c0d52-7c1b-4d33-9a55-2b0f5e1b7a10", "pin": "4821"}
            ]
        },
    )

    name: Name
    store_id: UUID = Field(description="The store whose scanner this person uses")
    pin: Pin
    role: StaffRole = StaffRole.cashier


class StaffUpdate(RequestModel):
    """Change what is given; everything else stays. Deactivating, a new PIN and a new code
    end the staff member's scanner sessions at once."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"is_active": False}, {"pin": "7305"}, {"role": "manager"}]
        },
    )

    name: Name | None = None
    store_id: UUID | None = None
    role: StaffRole | None = None
    is_active: bool | None = None
    pin: Pin | None = None
    new_code: bool = Field(
        default=False, description="Issue a new sign-in code (the old one stops working)"
    )


class StaffPublic(BaseModel):
    id: UUID
    name: str
    store_id: UUID
    code: str = Field(description="What the staff member types with the PIN to sign in")
    role: StaffRole
    is_active: bool
    last_sign_in_at: datetime | None
    locked_until: datetime | None = Field(description="Sign-in is locked until then (wrong PINs)")
    created_at: datetime

    @classmethod
    def of(cls, staff: Staff) -> StaffPublic:
        return cls.model_validate(staff, from_attributes=True)
