"""HTTP routes of webhooks: the admin's endpoints, their secret (shown once, rotatable), the
delivery log and replays."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Response, status

from api.clock import utcnow
from api.deps import AdminCaller, SessionDep, SettingsDep
from api.paging import Page, Paging
from api.webhooks import service as webhook_service
from api.webhooks.models import WebhookEndpoint
from api.webhooks.schemas import (
    DeliveryPublic,
    EndpointCreate,
    EndpointPublic,
    EndpointUpdate,
    EndpointWithSecret,
    Replay,
    Replayed,
    RotateSecret,
)

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_endpoint(
    data: EndpointCreate, session: SessionDep, caller: AdminCaller, settings: SettingsDep
) -> EndpointWithSecret:
    """A new endpoint; the answer carries its secret (`whsec_...`), shown this once."""
    endpoint = webhook_service.create_endpoint(
        session, caller.merchant_id, data, require_https=not settings.is_development,
        allow_private=settings.webhooks_allow_private,
    )  # fmt: skip
    return EndpointWithSecret(**public(endpoint).model_dump(), secret=endpoint.secret)


@router.get("")
def list_endpoints(session: SessionDep, caller: AdminCaller, page: Paging) -> Page[EndpointPublic]:
    rows, total = webhook_service.page_endpoints(session, caller.merchant_id, page)
    return Page.of([public(row) for row in rows], total, page)


@router.get("/{webhook_id}")
def read_endpoint(webhook_id: UUID, session: SessionDep, caller: AdminCaller) -> EndpointPublic:
    return public(webhook_service.get_endpoint(session, caller.merchant_id, webhook_id))


@router.patch("/{webhook_id}")
def update_endpoint(
    webhook_id: UUID,
    data: EndpointUpdate,
    session: SessionDep,
    caller: AdminCaller,
    settings: SettingsDep,
) -> EndpointPublic:
    """Change the URL, description or events; `{"is_enabled": true}` re-enables it."""
    endpoint = webhook_service.update_endpoint(
        session, caller.merchant_id, webhook_id, data,
        require_https=not settings.is_development, allow_private=settings.webhooks_allow_private,
    )  # fmt: skip
    return public(endpoint)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_endpoint(webhook_id: UUID, session: SessionDep, caller: AdminCaller) -> Response:
    webhook_service.delete_endpoint(session, caller.merchant_id, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{webhook_id}/rotate-secret")
def rotate_secret(
    webhook_id: UUID, data: RotateSecret, session: SessionDep, caller: AdminCaller
) -> EndpointWithSecret:
    """A new secret, shown once; the old one still signs (beside it) for `grace_hours`."""
    endpoint = webhook_service.rotate_secret(
        session, caller.merchant_id, webhook_id, grace=timedelta(hours=data.grace_hours),
        now=utcnow(),
    )  # fmt: skip
    return EndpointWithSecret(**public(endpoint).model_dump(), secret=endpoint.secret)


@router.get("/{webhook_id}/deliveries")
def list_deliveries(
    webhook_id: UUID, session: SessionDep, caller: AdminCaller, page: Paging
) -> Page[DeliveryPublic]:
    """Every delivery attempt, newest first: status, latency, the answer's first 500 chars."""
    rows, total = webhook_service.page_deliveries(session, caller.merchant_id, webhook_id, page)
    items = [
        DeliveryPublic(
            id=row.id, event_id=row.event_id, event_type=kind, status_code=row.status_code,
            is_success=row.is_success, latency_ms=row.latency_ms,
            response_excerpt=row.response_excerpt, created_at=row.created_at,
        )
        for row, kind in rows
    ]  # fmt: skip
    return Page.of(items, total, page)


@router.post("/{webhook_id}/replay")
def replay(webhook_id: UUID, data: Replay, session: SessionDep, caller: AdminCaller) -> Replayed:
    """Deliver one event again (`event_id`), or every dead-lettered event of the endpoint."""
    count = webhook_service.replay(
        session, caller.merchant_id, webhook_id, data.event_id, now=utcnow()
    )
    return Replayed(replayed=count)


def public(endpoint: WebhookEndpoint) -> EndpointPublic:
    rotating = endpoint.previous_secret_expires_at if endpoint.previous_secret else None
    return EndpointPublic(
        id=endpoint.id, url=endpoint.url, description=endpoint.description,
        events=endpoint.events, is_enabled=endpoint.is_enabled,
        failing_since=endpoint.failing_since, disabled_at=endpoint.disabled_at,
        disabled_reason=endpoint.disabled_reason, rotation_ends_at=rotating,
        created_at=endpoint.created_at,
    )  # fmt: skip
