"""Request limits, enforced before a route runs: a client that sends too much gets 413, a URL
with a NUL character (which PostgreSQL cannot compare against text) gets 422, and nothing is
written. Bodies are checked for NUL by :class:`api.validation.RequestModel`."""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT = 1_000_000
SQLITE_IN_FLIGHT = 32  # requests inside the app at once on SQLite (see InFlightLimit)
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


class InFlightLimit:
    """At most ``limit`` requests inside the app at once; the others wait their turn here.

    Needed on SQLite. A request takes the database's write lock (``BEGIN IMMEDIATE``) in one
    worker thread (the caller dependency) and needs another for the route. With more waiting
    writers than worker threads, every thread blocked on the lock while the request holding
    it waited for a thread: nothing moved until the 30 s busy timeout failed them (80
    concurrent tills: 0.8 requests/s and 500s). With fewer requests inside than threads, the
    holder always finds a thread.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._gate: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._gate is None:  # made on first use, inside the server's event loop
            self._gate = anyio.Semaphore(self.limit)
            threads = anyio.to_thread.current_default_thread_limiter()
            threads.total_tokens = max(threads.total_tokens, self.limit + 8)
        async with self._gate:
            await self.app(scope, receive, send)


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
