"""The one error the image pipeline raises, with a stable reason a service can map to a code."""

from __future__ import annotations

from enum import StrEnum

from passes.errors import PassError


class ImageRefusal(StrEnum):
    """Why an uploaded image was refused. The values are stable: services map them to codes."""

    UNKNOWN_TYPE = "unknown_type"  # not PNG, JPEG or WebP (by content, not by name)
    UNREADABLE = "unreadable"  # the right signature, but the data does not decode
    TOO_LARGE = "too_large"  # more bytes than ImageLimits.max_bytes
    BOMB = "bomb"  # declares more pixels than ImageLimits.max_pixels (or any side too long)
    TOO_SMALL = "too_small"  # the part kept for a slot is smaller than the slot's minimum
    ASPECT = "aspect"  # the shape is too far from the slot's to crop or fit it


class ImageError(PassError):
    """An image was refused. ``field`` names the input, ``reason`` says why (stable)."""

    code = "invalid_image"

    def __init__(self, field: str, reason: ImageRefusal, message: str) -> None:
        self.field = field
        self.reason = reason
        self.message = message
        super().__init__(f"{field}: {reason.value}: {message}")
