"""Errors of saved segments."""

from __future__ import annotations

from api.errors import NotFound


class SegmentNotFound(NotFound):
    code, title = "segment_not_found", "Segment not found"
