"""Request limits, enforced before a route runs: a client that sends too much gets 413, one
that sends too slowly gets 408, a URL with a NUL character (which PostgreSQL cannot compare
against text) gets 422, and nothing is written. Bodies are checked for NUL by
:class:`api.validation.RequestModel`.

The whole body is read here, before the request reaches the in-flight limit, a worker thread
or a database transaction: a client that trickles its body holds none of them, so forty
half-sent uploads cannot freeze the service.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, InvalidRequest

DEFAULT_LIMIT = 1_000_000
BODY_TIMEOUT = 10.0  # seconds for a whole request body to arrive, then 408
SQLITE_IN_FLIGHT = 32  # requests inside the app at once on SQLite (see InFlightLimit)
# On PostgreSQL: below the connection pool (api/db.py: 10 + 20 overflow), so a request that
# holds a row lock never waits for a connection behind requests queued on that lock.
POSTGRES_IN_FLIGHT = 28
PATH_LIMITS = {
    "/apple/v1/log": 256_000,
    "/apple/v1/devices/": 4_096,
    "/scan/photo": 12_500_000,  # a phone camera's photo of a card (the form adds a little)
    "/console/uploads/": 16_000_000,  # a design image from a phone (at most 15 MiB + form)
}
# By the path's end: a member file posted to /api/v1/programs/{id}/imports (100,000 members
# are about 8 MB of CSV).
SUFFIX_LIMITS = {"/imports": 32_000_000}


class PayloadTooLarge(ApiError):
    """The body is over the route's size limit (declared, or counted as a chunked body)."""

    status_code, code, title = 413, "payload_too_large", "The request body is too large"


class RequestTimeout(ApiError):
    """The whole body did not arrive within ``LOYALPASS_REQUEST_BODY_TIMEOUT`` seconds."""

    status_code, code, title = 408, "request_timeout", "The request body did not arrive in time"


class DuplicateJsonKey(InvalidRequest):
    """A JSON object in the body names one key twice."""

    code, title = "duplicate_json_key", "The JSON body names a key twice"


class RequestLimits:
    def __init__(self, app: ASGIApp, body_timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        query: bytes = scope.get("query_string", b"")
        if "\x00" in path or b"%00" in query or b"\x00" in query:
            await _refuse(
                send,
                InvalidRequest,
                "the URL must not contain NUL (%00) characters",
            )
            return
        limit = next((v for k, v in PATH_LIMITS.items() if path.startswith(k)), None) or next(
            (v for k, v in SUFFIX_LIMITS.items() if path.endswith(k)), DEFAULT_LIMIT
        )
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(
                send,
                PayloadTooLarge,
                f"at most {limit} bytes",
            )
            return
        try:
            with anyio.fail_after(self.body_timeout):
                body = await _read_body(receive, limit)
        except TimeoutError:
            await _refuse(
                send,
                RequestTimeout,
                f"the whole body must arrive within {self.body_timeout:g} s",
            )
            return
        except _TooLarge:
            await _refuse(
                send,
                PayloadTooLarge,
                f"at most {limit} bytes",
            )
            return
        except _Disconnected:
            return  # the client left: nobody to answer, nothing was done
        duplicate = _duplicate_json_key(headers.get(b"content-type", b""), body)
        if duplicate is not None:
            await _refuse(
                send,
                DuplicateJsonKey,
                f"the key {duplicate!r} appears more than once in one object",
            )
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: only http.disconnect remains

        await self.app(scope, replay, send)


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _Duplicate(key)
        seen[key] = value
    return seen


def _duplicate_json_key(content_type: bytes, body: bytes) -> str | None:
    """The first key a JSON object in ``body`` repeats, or None. Which of two values would win
    differs between parsers, so a repeated key is refused rather than guessed."""
    media = content_type.split(b";", 1)[0].strip().lower()
    if not body or not (media == b"application/json" or media.endswith(b"+json")):
        return None
    try:
        json.loads(body, object_pairs_hook=_refuse_duplicates)
    except _Duplicate as duplicate:
        return duplicate.key[:100]
    except (ValueError, RecursionError):  # not JSON we can read: the route answers that
        return None
    return None


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The request body, whole; raises _TooLarge past ``limit``, _Disconnected if the client
    left before sending it all."""
    chunks: list[bytes] = []
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:  # a chunked body that grew too big: stop reading it
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class InFlightLimit:
    """At most ``limit`` requests inside the app at once; the others wait their turn here.

    On PostgreSQL the pool has 30 connections and the server 40 worker threads: 120 writes
    to one member at once left the request holding the member's row lock waiting for a thread
    or a connection while the others held them waiting on the lock, a 30 s stall and 500s
    from the pool timeout. With fewer requests inside than connections, it never waits.

    On SQLite a request takes the database's write lock (``BEGIN IMMEDIATE``) in one
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


async def _refuse(send: Send, error: type[ApiError], detail: str) -> None:
    """Answer as the error handler would: the middleware runs outside the app's handlers."""
    status = error.status_code
    body: dict[str, Any] = {
        "type": error.code,
        "title": error.title,
        "status": status,
        "detail": detail,
    }
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
