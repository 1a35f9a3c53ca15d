"""The client address of each request, kept for the audit log (a pure ASGI middleware)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from api.audit.service import client_address


class ClientAddress:
    """Sets :data:`api.audit.service.client_address` for the request it wraps."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = client_address.set(str(client[0])[:64] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            client_address.reset(token)
