"""Request and response bodies for programs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from api.programs.models import Program, ProgramKind
from api.programs.rules import ProgramRules
from api.validation import STORED, RequestModel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class ProgramCreate(RequestModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"name": "Bean & Brew Rewards", "kind": "stamps", "stamps_required": 10},
                {"name": "Petal & Stem Club", "kind": "points", "design": "florist"},
            ]
        },
    )

    name: Name
    kind: ProgramKind = ProgramKind.points
    stamps_required: int | None = Field(default=None, ge=1, le=50)
    design: str | None = Field(default=None, max_length=60, pattern=r"^[a-z0-9_-]+$")
    rules: ProgramRules | None = Field(
        default=None, description="Mechanics; omitted, the design's [rules] defaults apply"
    )

    @model_validator(mode="after")
    def _stamps_need_a_goal(self) -> Self:
        if self.kind is ProgramKind.stamps and self.stamps_required is None:
            raise ValueError("stamps_required is required for a stamps program")
        if self.kind is ProgramKind.points and self.stamps_required is not None:
            raise ValueError("stamps_required only applies to a stamps program")
        return self


class ProgramPublic(BaseModel):
    id: UUID
    name: str
    slug: str
    public_slug: str = Field(
        description="The public join page is `/join/{public_slug}` (QR: `.../qr.svg`, `qr.png`)"
    )
    kind: ProgramKind
    stamps_required: int | None
    design: str
    rules: ProgramRules
    created_at: datetime

    @classmethod
    def of(cls, program: Program) -> ProgramPublic:
        return cls.model_validate(program, from_attributes=True, context=STORED)
