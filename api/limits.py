"""Request limits, enforced before a route runs: a client that sends too much gets 413, a URL
with a NUL character (which PostgreSQL cannot compare against text) gets 422, and nothing is
written. Bodies are checked for NUL by :class:`api.validation.RequestModel`."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT = 1_000_000
PATH_LIMITS = {
    "/apple/v1/log": 256_000,
    "/apple/v1/devices/": 4_096,
    "/scan/photo": 12_500_000,  # a phone camera's photo of a card (the form adds a little)
}


class RequestLimits:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            await _refuse(
                send,
                422,
                "invalid_request",
                "The request is not valid",
                "the URL must not contain NUL (%00) characters",
            )
            return
        limit = next((v for k, v in PATH_LIMITS.items() if path.startswith(k)), DEFAULT_LIMIT)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(
                send,
                413,
                "payload_too_large",
                "The request body is too large",
                f"at most {limit} bytes",
            )
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:  # a chunked body that grew too big: stop reading it
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited, send)


async def _refuse(send: Send, status: int, code: str, title: str, detail: str) -> None:
    body: dict[str, Any] = {"type": code, "title": title, "status": status, "detail": detail}
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
