"""Recording and reading the audit log.

:func:`record` is called at each change point (a domain's service or route), in the change's
own transaction: a rolled-back change leaves no entry. The caller is any object with the
``merchant_id``/``key_id`` of :class:`api.merchants.service.Caller`: an API key, a console
account (a Caller with an ``email``) or a staff member (``staff_id``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from sqlalchemy import select
from sqlmodel import Session

from api.audit.models import AuditEntry
from api.clock import utcnow
from api.paging import PageRequest, fetch_page

# The client address of the request being served (set by audit.context.ClientAddress), so a
# change point needs no Request of its own.
client_address: ContextVar[str | None] = ContextVar("audit_client_address", default=None)


# Never copied into the log: credentials stay where they are.
_SECRETS = ("hash", "token", "secret", "password")


class Actor(Protocol):
    @property
    def merchant_id(self) -> UUID: ...


@dataclass(frozen=True, slots=True)
class StaffActor:
    """A staff member at the scanner, as the audit log names them."""

    merchant_id: UUID
    staff_id: UUID
    name: str


@dataclass(frozen=True, slots=True)
class OperatorActor:
    """The operator at the command line or a script (no key, account or staff member)."""

    merchant_id: UUID


def staff_actor(staff: Any) -> StaffActor:
    """The audit actor of a ``Staff`` row (its merchant, id and name)."""
    return StaffActor(staff.merchant_id, staff.id, staff.name)


def _who(caller: Actor) -> tuple[str, UUID | None, str]:
    staff_id = getattr(caller, "staff_id", None)
    if isinstance(staff_id, UUID):
        return "staff", staff_id, str(getattr(caller, "name", "") or staff_id)[:120]
    key_id = getattr(caller, "key_id", None)
    email = getattr(caller, "email", None)
    if email:
        return "account", key_id, str(email)[:120]
    if isinstance(key_id, UUID):
        return "key", key_id, str(getattr(caller, "label", key_id))[:120]
    return "operator", None, "operator"


def snapshot(value: Any) -> dict[str, Any] | None:
    """A JSON-safe copy of a model, dict or None (UUIDs, dates and decimals as text)."""
    if value is None:
        return None
    if hasattr(value, "model_dump"):
        # Table rows read back hold plain strings where the model says enum: no warnings.
        value = value.model_dump(mode="python", warnings=False)
    elif not isinstance(value, Mapping):
        value = {"value": value}
    kept = {k: v for k, v in dict(value).items() if not any(s in str(k) for s in _SECRETS)}
    loaded: dict[str, Any] = json.loads(json.dumps(kept, default=str))
    return loaded


def record(
    session: Session,
    caller: Actor,
    action: str,
    object_type: str,
    object_id: object | None,
    before: Any = None,
    after: Any = None,
    address: str | None = None,
) -> AuditEntry:
    """Add one audit entry to the session (flushed with the change it describes)."""
    kind, actor_id, label = _who(caller)
    entry = AuditEntry(
        merchant_id=caller.merchant_id,
        actor_kind=kind,
        actor_id=actor_id,
        actor_label=label,
        action=action[:60],
        object_type=object_type[:40],
        object_id=None if object_id is None else str(object_id)[:64],
        before=snapshot(before),
        after=snapshot(after),
        address=(address or client_address.get() or None),
        created_at=utcnow(),
    )
    session.add(entry)
    return entry


def page_entries(
    session: Session,
    merchant_id: UUID,
    page: PageRequest,
    *,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditEntry], int]:
    """The merchant's entries, newest first, with optional filters."""
    query = select(AuditEntry).where(AuditEntry.merchant_id == merchant_id)  # type: ignore[arg-type]
    if action:
        query = query.where(AuditEntry.action == action)  # type: ignore[arg-type]
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)  # type: ignore[arg-type]
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)  # type: ignore[arg-type]
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)  # type: ignore[arg-type]
    if since:
        query = query.where(AuditEntry.created_at >= since)  # type: ignore[arg-type]
    if until:
        query = query.where(AuditEntry.created_at < until)  # type: ignore[arg-type]
    order = [AuditEntry.created_at.desc(), AuditEntry.id.desc()]  # type: ignore[attr-defined]
    rows, total = fetch_page(session, query, page, order_by=order)
    return list(rows), total
