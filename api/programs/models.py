"""Loyalty programs: the mechanic and the card design a merchant runs."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, timestamp


class ProgramKind(StrEnum):
    points = "points"
    stamps = "stamps"


def new_public_slug(slug: str = "join") -> str:
    """A program's public slug: its merchant-scoped slug plus 8 random characters, so that it
    is unique across merchants and the join URL cannot be guessed from the program's name."""
    suffix = "".join(secrets.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(8))
    return f"{slug[:60]}-{suffix}"


def own_design(program_id: UUID, version: int) -> str:
    """The design name of the program's own design version (``api.designs``); version 0 is
    the neutral design built from the merchant's and program's names."""
    return f"p-{program_id.hex}-v{version}"


def parse_own_design(name: str) -> tuple[UUID, int] | None:
    """(program id, version) of an :func:`own_design` name; None for a shipped design."""
    head, _, version = name.rpartition("-v")
    if not head.startswith("p-") or len(head) != 34 or not version.isdigit():
        return None
    try:
        return UUID(hex=head[2:]), int(version)
    except ValueError:
        return None


class Program(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("merchant_id", "slug"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    name: str = Field(max_length=100)
    slug: str = Field(max_length=80)
    # The public join URL /join/{public_slug}; globally unique (slug is unique per merchant).
    public_slug: str = Field(default_factory=new_public_slug, max_length=80, unique=True)
    kind: ProgramKind = Field(sa_type=String(10))
    stamps_required: int | None = None
    design: str = Field(max_length=60)
    rules: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = timestamp()
