"""Counts and times every HTTP answer by its route template (``/cards/{token}``, never the
token itself), as a pure ASGI middleware."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics.instruments import REQUEST_SECONDS, REQUESTS


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the answer started

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = route_template(scope)
            method = scope["method"] if route != "unmatched" else "other"
            REQUESTS.labels(method, route, f"{status // 100}xx").inc()
            REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The path template of the route that answered; ``unmatched`` for anything else (404s,
    scanners' guesses: unbounded raw paths never become labels)."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
