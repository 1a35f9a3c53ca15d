"""Design tables: content-addressed images, each program's draft and its published versions.

A document is the wallet-neutral design (the tables of a starter's ``design.toml`` as JSON)
plus ``images``: file name -> SHA-256 of the bytes in ``design_image``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.columns import merchant_fk, optional_timestamp, timestamp


class DesignImage(SQLModel, table=True):
    """Image bytes keyed by their SHA-256 (hex); shared, immutable, never deleted here."""

    __tablename__ = "design_image"

    sha256: str = Field(primary_key=True, max_length=64)
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = timestamp()


class DesignDraft(SQLModel, table=True):
    """The program's draft: edited freely, shown by the preview, copied by publish."""

    __tablename__ = "design_draft"

    program_id: UUID = Field(primary_key=True, foreign_key="program.id", ondelete="CASCADE")
    merchant_id: UUID = merchant_fk()
    document: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = timestamp()


class DesignVersion(SQLModel, table=True):
    """A published version; the program's ``design`` names the live one. Never changed."""

    __tablename__ = "design_version"
    __table_args__ = (UniqueConstraint("program_id", "version"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    version: int
    document: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    published_by: UUID  # the API key that published it
    published_at: datetime = timestamp()


class DesignMarking(SQLModel, table=True):
    """Marking a published version's cards changed, a batch per transaction: a publish marks
    the first batches itself and the designs job the rest. ``cursor`` is the last member
    marked (members go in id order), so a crash resumes after it; ``done_at`` ends it (all
    marked, or a newer version took over)."""

    __tablename__ = "design_marking"

    version_id: UUID = Field(primary_key=True, foreign_key="design_version.id",
                             ondelete="CASCADE")  # fmt: skip
    merchant_id: UUID = merchant_fk()
    program_id: UUID = Field(foreign_key="program.id", index=True, ondelete="CASCADE")
    cursor: UUID | None = None
    cards_marked: int = 0
    done_at: datetime | None = optional_timestamp()
