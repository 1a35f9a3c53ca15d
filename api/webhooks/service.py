"""Webhook endpoints and events, session first. :func:`enqueue` is what every domain calls at
a change, inside the change's transaction: a rolled-back change leaves no event."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from api.clock import utcnow
from api.paging import PageRequest, fetch_page
from api.webhooks.addresses import check_url
from api.webhooks.errors import WebhookNotFound
from api.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webhooks.schemas import EndpointCreate, EndpointUpdate
from api.webhooks.signing import new_secret

# Every change a merchant's systems may hear of asks this (a purchase: every one), so it is
# built once and selects the two columns it needs.
_ENABLED_ENDPOINTS = select(col(WebhookEndpoint.id), col(WebhookEndpoint.events)).where(
    col(WebhookEndpoint.merchant_id) == bindparam("merchant_id"),
    col(WebhookEndpoint.is_enabled).is_(True),
)


def enqueue(session: Session, merchant_id: UUID, type_: str, data: Mapping[str, Any]) -> int:
    """Write one event of ``type_`` for each of the merchant's enabled endpoints that wants
    it; returns how many. Call it in the transaction of the change it reports."""
    endpoints = session.execute(_ENABLED_ENDPOINTS, {"merchant_id": merchant_id}).all()
    now = utcnow()
    count = 0
    for endpoint in endpoints:
        if endpoint.events and type_ not in endpoint.events:
            continue
        payload = {"type": type_, "timestamp": now.isoformat(), "data": dict(data)}
        body = json.dumps(payload, default=str, ensure_ascii=False, separators=(",", ":"))
        session.add(
            WebhookEvent(
                merchant_id=merchant_id, endpoint_id=endpoint.id, type=type_, body=body,
                next_attempt_at=now, created_at=now,
            )
        )  # fmt: skip
        count += 1
    if count:
        session.flush()
    return count


def member_erased(session: Session, merchant_id: UUID, member_id: UUID) -> int:
    """``member.erased`` for an erasure: the member's id only (no personal data in events)."""
    return enqueue(session, merchant_id, "member.erased", {"member_id": member_id})


def create_endpoint(
    session: Session,
    merchant_id: UUID,
    data: EndpointCreate,
    *,
    require_https: bool,
    allow_private: bool,
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret.

    Raises:
        WebhookUrlRefused: the URL may not be called (see :func:`check_url`).
    """  # fmt: skip
    check_url(data.url, require_https=require_https, allow_private=allow_private)
    endpoint = WebhookEndpoint(
        merchant_id=merchant_id, url=data.url, description=data.description,
        events=list(data.events), secret=new_secret(),
    )  # fmt: skip
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(session: Session, merchant_id: UUID, endpoint_id: UUID) -> WebhookEndpoint:
    """Raises: WebhookNotFound: no such endpoint for this merchant."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.merchant_id != merchant_id:
        raise WebhookNotFound()
    return endpoint


def page_endpoints(
    session: Session, merchant_id: UUID, page: PageRequest
) -> tuple[Sequence[WebhookEndpoint], int]:
    query = select(WebhookEndpoint).where(col(WebhookEndpoint.merchant_id) == merchant_id)
    return fetch_page(
        session, query, page, order_by=[col(WebhookEndpoint.created_at), col(WebhookEndpoint.id)]
    )


def update_endpoint(
    session: Session,
    merchant_id: UUID,
    endpoint_id: UUID,
    data: EndpointUpdate,
    *,
    require_https: bool,
    allow_private: bool,
) -> WebhookEndpoint:
    """Change the URL, description or events; ``is_enabled: true`` re-enables a disabled
    endpoint (its failure clock restarts).

    Raises:
        WebhookNotFound: no such endpoint.
        WebhookUrlRefused: the new URL may not be called.
    """  # fmt: skip
    endpoint = get_endpoint(session, merchant_id, endpoint_id)
    if data.url is not None:
        check_url(data.url, require_https=require_https, allow_private=allow_private)
        endpoint.url = data.url
    if data.description is not None:
        endpoint.description = data.description
    if data.events is not None:
        endpoint.events = list(data.events)
    if data.is_enabled is not None:
        endpoint.is_enabled = data.is_enabled
        if data.is_enabled:
            endpoint.failing_since = endpoint.disabled_at = endpoint.disabled_reason = None
    session.add(endpoint)
    session.flush()
    return endpoint


def delete_endpoint(session: Session, merchant_id: UUID, endpoint_id: UUID) -> None:
    """Raises: WebhookNotFound: no such endpoint."""
    session.delete(get_endpoint(session, merchant_id, endpoint_id))
    session.flush()


def rotate_secret(
    session: Session, merchant_id: UUID, endpoint_id: UUID, *, grace: timedelta, now: datetime
) -> WebhookEndpoint:
    """A new secret; the old one keeps signing (beside the new) for ``grace``.

    Raises:
        WebhookNotFound: no such endpoint.
    """
    endpoint = get_endpoint(session, merchant_id, endpoint_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + grace
    endpoint.secret = new_secret()
    session.add(endpoint)
    session.flush()
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during a rotation."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def page_deliveries(
    session: Session, merchant_id: UUID, endpoint_id: UUID, page: PageRequest
) -> tuple[Sequence[tuple[WebhookDelivery, str]], int]:
    """The endpoint's delivery log, newest first, with each event's type."""
    get_endpoint(session, merchant_id, endpoint_id)
    query = select(WebhookDelivery).where(
        col(WebhookDelivery.merchant_id) == merchant_id,
        col(WebhookDelivery.endpoint_id) == endpoint_id,
    )
    rows, total = fetch_page(
        session, query, page,
        order_by=[col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id).desc()],
    )  # fmt: skip
    ids = {row.event_id for row in rows}
    types: dict[UUID, str] = dict(
        session.execute(
            select(col(WebhookEvent.id), col(WebhookEvent.type)).where(
                col(WebhookEvent.id).in_(ids)
            )
        ).all()
    )
    return [(row, types.get(row.event_id, "")) for row in rows], total


def replay(
    session: Session,
    merchant_id: UUID,
    endpoint_id: UUID,
    event_id: UUID | None,
    *,
    now: datetime,
) -> int:
    """Make one event (delivered or failed), or every failed event, of the endpoint due now.

    Raises:
        WebhookNotFound: no such endpoint, or no such event of it.
    """  # fmt: skip
    get_endpoint(session, merchant_id, endpoint_id)
    query = update(WebhookEvent).where(
        col(WebhookEvent.merchant_id) == merchant_id,
        col(WebhookEvent.endpoint_id) == endpoint_id,
    )
    if event_id is None:
        query = query.where(col(WebhookEvent.status) == "failed")
    else:
        query = query.where(col(WebhookEvent.id) == event_id)
    result = session.execute(
        query.values(status="pending", next_attempt_at=now, attempts=0, delivered_at=None)
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if event_id is not None and count == 0:
        raise WebhookNotFound("no such event of this endpoint")
    return count
