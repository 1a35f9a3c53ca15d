"""The base class of every request body: text that PostgreSQL cannot store is refused at the edge.

PostgreSQL text columns reject the NUL character, and SQLite would store it and later hand it
to a wallet. No field of ours has a use for it, so any string anywhere in a body that contains
one is a 422 before a route runs. URLs are checked by :class:`api.limits.RequestLimits`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if contains_nul(data):
            raise ValueError("text must not contain NUL (U+0000) characters")
        return data
