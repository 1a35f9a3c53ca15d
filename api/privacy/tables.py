"""Which tables hold a member's data, found from the schema rather than listed by hand, so a
table added later with a ``member_id`` (or ``card_id``) column is exported and erased too."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, String, Table
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

# Columns never exported: credentials and the device push tokens (they are not the member's
# data but keys to reach their device, and would let a reader impersonate the wallet).
SECRET_MARKERS = ("token", "secret", "hash", "password", "pin", "nonce", "fingerprint")


def schema_tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)


def member_tables() -> list[Table]:
    """Every table with a ``member_id`` column, the member table itself excluded."""
    return [t for t in schema_tables() if "member_id" in t.c and t.name != "member"]


def card_tables() -> list[Table]:
    """Tables keyed by the member's card but without a ``member_id`` (registrations, the
    Google object, the outbox of card changes)."""
    return [t for t in schema_tables() if "card_id" in t.c and "member_id" not in t.c]


def is_secret(column: Column[Any]) -> bool:
    name = column.name.lower()
    return any(marker in name for marker in SECRET_MARKERS)


def text_columns(table: Table) -> Iterator[Column[Any]]:
    """Columns that can hold free text: strings and JSON, not primary keys. A string column
    of a SQLModel ``str`` field is an ``AutoString``, a TypeDecorator over ``String``: its
    ``impl`` decides."""
    for column in table.columns:
        if column.primary_key:
            continue
        if is_text(column.type):
            yield column


def is_text(kind: Any) -> bool:
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, String | JSON)


def plain(value: Any) -> Any:
    """A JSON-ready copy of a column value."""
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def exported_row(table: Table, row: Mapping[Any, Any]) -> dict[str, Any]:
    return {c.name: plain(row[c.name]) for c in table.columns if not is_secret(c)}
