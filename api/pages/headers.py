"""Security headers on every answer, pages and API alike.

- ``X-Content-Type-Options: nosniff``: a browser never guesses a type we did not declare.
- ``Referrer-Policy: same-origin``: our URLs (a card page's holds the card's token) never
  leave in a ``Referer``. Not ``no-referrer``: under it browsers send ``Origin: null`` with
  our own forms' POSTs, which the Origin check (``api.pages.origin``) must refuse.
- ``Content-Security-Policy``: pages set their own (with their nonce, ``api.pages.render``);
  every other answer (JSON, images, passes) gets one that allows nothing at all.
- ``Strict-Transport-Security`` when the public URL is https, whatever the request's scheme
  looked like behind a proxy; for this host only (a self-hosted service may share its domain).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOTHING_ALLOWED = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
HSTS = "max-age=31536000"  # one year


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, public_url: str) -> None:
        self.app = app
        self.is_https = public_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                headers.setdefault("Content-Security-Policy", NOTHING_ALLOWED)
                if self.is_https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
