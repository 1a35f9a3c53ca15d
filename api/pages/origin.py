"""The Origin check that keeps other sites from posting our forms (CSRF, including sign-in).

Every request that may change something (any method but GET, HEAD and OPTIONS) outside the
machine APIs must come from a page of the service itself: its ``Origin`` header, or its
``Referer``'s origin when there is no ``Origin``, must be the public URL's origin. Anything
else, ``Origin: null`` included (sandboxed frames, ``data:`` pages), is refused with 403
``cross_site_form`` before the body is read.

A request with neither header passes. Every browser sends ``Origin`` with a cross-site form
POST (and with a ``fetch`` POST), so a request with neither comes from a program (curl, a
script, the tests), which carries no visitor's cookies and could as well post from anywhere
in the first place; the sessions' cookies are also ``SameSite=Strict``, a second layer.

The machine APIs are exempt: ``/api/`` authenticates every call with a bearer key (no cookie
a browser would add on its own), and ``/apple/``, ``/google/`` and ``/messaging/`` (the SMS
providers' webhooks, signed or behind a secret URL) are called by Wallet's, Google's and the
providers' servers, which send no ``Origin``. In development the address the browser used
(``Host``) also counts, so the demo works from ``localhost`` as well as ``127.0.0.1``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import problem
from api.pages.errors import CrossSiteForm

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MACHINE_PREFIXES = ("/api/", "/apple/", "/google/", "/messaging/")
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL as a browser writes an Origin (lower case, no
    default port), or None when it has no scheme and host."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    if not scheme or not host:
        return None
    if ":" in host:  # an IPv6 address keeps its brackets in an origin
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class SameOriginForms:
    def __init__(self, app: ASGIApp, *, public_url: str, is_development: bool) -> None:
        self.app = app
        self.public_origin = origin_of(public_url)
        self.is_development = is_development

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or scope["path"].startswith(MACHINE_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sent = headers.get("origin")
        if sent is None:
            referer = headers.get("referer")
            if referer is None:
                await self.app(scope, receive, send)
                return
            sent = referer
        origin = origin_of(sent)
        if self._is_ours(origin, scope, headers):
            await self.app(scope, receive, send)
            return
        shown = origin or "null"  # never the whole Referer: a card page's holds its token
        logger.info("cross-site form refused", extra={"path": scope["path"], "origin": shown})
        response = problem(
            CrossSiteForm.status_code,
            CrossSiteForm.code,
            CrossSiteForm.title,
            f"Forms are accepted only from pages of {self.public_origin}, not from {shown}: "
            "open the page there and post it again.",
        )
        await response(scope, receive, send)

    def _is_ours(self, origin: str | None, scope: Scope, headers: Headers) -> bool:
        if origin is None:
            return False
        if origin == self.public_origin:
            return True
        host = headers.get("host")
        return (
            self.is_development
            and host is not None
            and origin == origin_of(f"{scope['scheme']}://{host}")
        )
