"""Request and response models of designs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from api.designs.models import DesignVersion
from api.validation import RequestModel
from passes import ContrastWarning, contrast_warnings, parse_colour


class DesignDocument(RequestModel):
    """A wallet-neutral design: the tables of a shipped ``design.toml`` as JSON (``program``,
    ``colors``, ``card``, ``fields``, ``change_messages``, ``translations``, ``contacts``,
    ``rules``) and
    ``images`` (file name -> SHA-256 of an uploaded image). Checked as a whole on save."""

    program: dict[str, Any]
    colors: dict[str, Any]
    card: dict[str, Any] = Field(default_factory=dict)
    fields: dict[str, Any] = Field(default_factory=dict)
    change_messages: dict[str, Any] = Field(default_factory=dict)
    translations: dict[str, Any] = Field(default_factory=dict)
    contacts: dict[str, Any] = Field(default_factory=dict)
    rules: dict[str, Any] = Field(default_factory=dict)
    images: dict[str, str] = Field(default_factory=dict)


class StarterChoice(RequestModel):
    starter: str = Field(max_length=60, pattern=r"^[a-z0-9_-]+$")


class DesignWarning(BaseModel):
    """Something the design allows but the merchant should know: ``low_contrast`` (a text
    colour on the background below WCAG's 4.5:1; ``ratio`` says how far)."""

    field: str
    code: str
    ratio: float | None = None
    detail: str

    @classmethod
    def of(cls, warning: ContrastWarning) -> DesignWarning:
        return cls(
            field=warning.field, code=warning.code, ratio=warning.ratio, detail=warning.detail
        )

    @classmethod
    def of_document(cls, document: dict[str, Any]) -> list[DesignWarning]:
        """The warnings of a saved (so valid) document's colours."""
        colours = document.get("colors") or {}
        background, foreground, label = (
            parse_colour(colours.get(name)) for name in ("background", "foreground", "label")
        )
        if background is None or foreground is None or label is None:
            return []
        return [cls.of(w) for w in contrast_warnings(background, foreground, label)]


class DesignPublic(BaseModel):
    """A design: ``name`` is what the program's ``design`` holds when this one is live;
    ``version`` is None for a draft, a shipped design and the neutral one. ``warnings``:
    what saves but reads badly on a phone (low contrast)."""

    name: str | None
    version: int | None
    document: dict[str, Any]
    warnings: list[DesignWarning] = Field(default_factory=list)


class DesignVersionPublic(BaseModel):
    id: UUID
    version: int
    published_by: UUID
    published_at: datetime
    live: bool

    @classmethod
    def of(cls, row: DesignVersion, *, live_version: int | None) -> DesignVersionPublic:
        return cls(
            id=row.id,
            version=row.version,
            published_by=row.published_by,
            published_at=row.published_at,
            live=row.version == live_version,
        )


class ImageStored(BaseModel):
    file: str
    sha256: str


class RenderedImage(BaseModel):
    """One file an upload was made into, and how close it stays to the full-colour render."""

    sha256: str
    width: int
    height: int
    bytes: int
    colours: int | None
    ssim: float


class UploadStored(BaseModel):
    slot: str
    files: dict[str, RenderedImage]


class PreviewPublic(BaseModel):
    """The real serializers' output for a sample card of the draft."""

    pass_json: dict[str, Any]
    google_class: dict[str, Any]
    google_object: dict[str, Any]
    warnings: list[DesignWarning] = Field(default_factory=list)


class RollbackRequest(RequestModel):
    version: int = Field(ge=1, le=1_000_000)
