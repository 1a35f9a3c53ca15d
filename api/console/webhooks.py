"""The console's webhooks page: the merchant's endpoints and their state (a banner for one
disabled after failing for days), a form that creates one (its secret shown once), each
endpoint's delivery log, and replaying failed events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlmodel import Session

from api.clock import utcnow
from api.console.auth import ConsoleUser
from api.console.routes import console_page
from api.deps import SessionDep, SettingsDep
from api.errors import ApiError, Forbidden
from api.merchants.models import Role
from api.pages.render import FormFields, PageDep
from api.paging import PageRequest
from api.webhooks import service as webhook_service
from api.webhooks.schemas import EVENT_TYPES, EndpointCreate, EndpointUpdate

router = APIRouter(prefix="/console", tags=["pages"], include_in_schema=False)


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks(
    page: PageDep, session: SessionDep, user: ConsoleUser,
    endpoint: Annotated[str, Query(max_length=36)] = "",
) -> Response:  # fmt: skip
    """The endpoints, and the chosen one's delivery log."""
    return console_page(page, "webhooks.html", user, **_context(session, user, endpoint))


@router.post("/webhooks", response_class=HTMLResponse)
def create_webhook(
    page: PageDep, session: SessionDep, user: ConsoleUser, fields: FormFields,
    settings: SettingsDep,
) -> Response:  # fmt: skip
    """Create an endpoint from the form; the answer shows its secret this once."""
    try:
        _require_edit(user.can_edit)
        events = [e.strip() for e in fields.get("events", "").split(",") if e.strip()]
        data = EndpointCreate.model_validate({"url": fields.get("url", ""), "events": events})
        with session.begin_nested():
            created = webhook_service.create_endpoint(
                session, user.merchant_id, data, require_https=not settings.is_development,
                allow_private=settings.webhooks_allow_private,
            )  # fmt: skip
    except (ValidationError, ApiError) as exc:
        return _refused(page, session, user, exc, fields={"url": fields.get("url", "")})
    context = _context(session, user, str(created.id))
    return console_page(page, "webhooks.html", user, secret=created.secret, **context)


@router.post("/webhooks/{endpoint_id}/replay", response_class=HTMLResponse)
def replay(
    endpoint_id: UUID, page: PageDep, session: SessionDep, user: ConsoleUser, fields: FormFields
) -> Response:
    """Replay one event (``event_id``) or every failed event of the endpoint."""
    try:
        _require_edit(user.can_edit)
        event = fields.get("event_id", "").strip()
        count = webhook_service.replay(
            session, user.merchant_id, endpoint_id, UUID(event) if event else None, now=utcnow()
        )
    except (ValueError, ApiError) as exc:
        return _refused(page, session, user, exc, endpoint=str(endpoint_id))
    context = _context(session, user, str(endpoint_id))
    return console_page(page, "webhooks.html", user, replayed=count, **context)


@router.post("/webhooks/{endpoint_id}/enable", response_class=HTMLResponse)
def enable(
    endpoint_id: UUID, page: PageDep, session: SessionDep, user: ConsoleUser,
    settings: SettingsDep,
) -> Response:  # fmt: skip
    """Enable an endpoint the sender disabled (its failure clock restarts)."""
    try:
        _require_edit(user.can_edit)
        webhook_service.update_endpoint(
            session, user.merchant_id, endpoint_id, EndpointUpdate(is_enabled=True),
            require_https=not settings.is_development,
            allow_private=settings.webhooks_allow_private,
        )  # fmt: skip
    except ApiError as exc:
        return _refused(page, session, user, exc, endpoint=str(endpoint_id))
    return console_page(page, "webhooks.html", user, **_context(session, user, str(endpoint_id)))


def _require_edit(can_edit: bool) -> None:
    if not can_edit:
        raise Forbidden(f"this needs a key with role {Role.admin}")


def _refused(
    page: Any, session: Session, user: Any, exc: Exception, *, endpoint: str = "",
    fields: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    status = exc.status_code if isinstance(exc, ApiError) else 422
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        message = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    elif isinstance(exc, ApiError):
        message = f"{exc.title}: {exc.detail}" if exc.detail else exc.title
    else:
        message = "not a valid event id"
    context = _context(session, user, endpoint)
    context["fields"] = fields or {}
    return console_page(page, "webhooks.html", user, error=message, status_code=status,
                        **context)  # fmt: skip


def _context(session: Session, user: Any, endpoint: str) -> dict[str, Any]:
    rows, _ = webhook_service.page_endpoints(session, user.merchant_id, PageRequest(200, 0))
    chosen = next((row for row in rows if str(row.id) == endpoint), None)
    deliveries: Sequence[Any] = []
    if chosen is not None:
        deliveries, _ = webhook_service.page_deliveries(
            session, user.merchant_id, chosen.id, PageRequest(50, 0)
        )
    return {"endpoints": rows, "chosen": chosen, "deliveries": deliveries,
            "event_types": EVENT_TYPES, "fields": {}}  # fmt: skip
