"""Logging set-up: one JSON object per line (production) or a text line with ``key=value``
pairs from ``extra`` (development); every record of a request carries its request id.

What the records may hold is scrubbed on the way out: the values of ``extra`` keys that name
a credential or a contact (``token``, ``email``, ``phone``, ...) and any e-mail address or
international phone number in a message become ``***``; URLs in the access log lose their
card tokens (:func:`redact_url`). Levels: ERROR is for what a person must act on (a refused
certificate, an expired one, a crash), WARNING for what may need one soon, INFO for events.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}

# The request being answered: set by RequestId, read by every record logged meanwhile (and by
# the worker threads a route starts: FastAPI copies the context into them).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_SECRET_KEYS = re.compile(
    r"token|secret|password|passwd|authorization|api_?key|cookie|email|phone|contact|"
    r"address|push_token|serial",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+\d[\d ()-]{8,18}\d|(?<![\w.:-])\d{10,15}(?![\w.:-])")


@contextmanager
def bound_request_id(rid: str | None) -> Iterator[None]:
    """Log with ``rid`` as the request id meanwhile: a job handling the row a request wrote
    (an outbox row, a webhook event, a message) logs as that request. Without one, the
    current id stays (a request doing a job's work inline keeps its own)."""
    token = request_id.set(rid or request_id.get())
    try:
        yield
    finally:
        request_id.reset(token)


def request_id_header(rid: str | None) -> dict[str, str]:
    """``X-Request-ID`` for an outbound call made for a request's row (none without one)."""
    return {"X-Request-ID": rid} if rid else {}


def scrub(text: str) -> str:
    """``text`` without e-mail addresses, international phone numbers and long digit runs
    (a phone without its +, a card number)."""
    return _PHONE.sub("***", _EMAIL.sub("***", text))


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    extras = {}
    for key, value in vars(record).items():
        if key in _STANDARD or key == "request_id":
            continue
        if _SECRET_KEYS.search(key):
            extras[key] = "***"
        elif key in ("path", "url") and isinstance(value, str):
            extras[key] = redact_url(value)  # /cards/<token>/... -> /cards/***/...
        else:
            extras[key] = scrub(value) if isinstance(value, str) else value
    return extras


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = scrub(super().format(record))
        extras = _extras(record)
        rid = getattr(record, "request_id", None)
        if rid:
            extras["request_id"] = rid
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in sorted(extras.items()))
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id,
    thread, the ``extra`` fields, and the traceback as ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            body["request_id"] = rid
        body["thread"] = record.threadName
        body.update(_extras(record))
        if record.exc_info:
            body["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(body, default=str, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    """Puts the current request id on each record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


def configure_logging(level: str, *, as_json: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class RequestId:
    """Gives each request an id (the client's ``X-Request-ID`` when it is sane, else a new
    one), keeps it in :data:`request_id` while the request runs and echoes it in the answer's
    ``X-Request-ID``. A pure ASGI middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        token = request_id.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)


# Path segments that identify a member or a device: whoever reads the logs must not be able to
# open a card, redeem a coupon or look a member up with what they find there.
_SECRET_SEGMENTS = re.compile(
    r"(/(?:cards|by-barcode|coupons|devices|invite|reset|unsubscribe|smsru)/)[^/?#]+"
)
# Apple's pass paths end in the pass type and the serial (the card number): the serial goes.
_SERIALS = re.compile(r"(/(?:passes|registrations)/[^/?#]+/)[^/?#]+")
_SAFE_QUERY_KEYS = frozenset({"limit", "offset", "lang", "passesUpdatedSince", "kind", "status"})


def redact_url(url: str) -> str:
    """``url`` with card tokens, card numbers, coupon codes and device ids replaced by ``***``,
    and every query value but a few harmless ones (paging, language) too."""
    path, question, query = url.partition("?")
    path = _SECRET_SEGMENTS.sub(r"\1***", path)
    path = _SERIALS.sub(r"\1***", path)
    if not question:
        return path
    pairs = []
    for pair in query.split("&"):
        key, equals, _ = pair.partition("=")
        safe = key in _SAFE_QUERY_KEYS
        pairs.append(pair if safe or not equals else f"{key}=***")
    return f"{path}?{'&'.join(pairs)}"


class AccessLogRedaction(logging.Filter):
    """Redacts the URL in uvicorn's access log lines (args: client, method, path, version,
    status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact_url(args[2]), args[3], args[4])
        return True


def redact_access_log() -> None:
    """Install :class:`AccessLogRedaction` on uvicorn's access logger, once."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLogRedaction) for f in access.filters):
        access.addFilter(AccessLogRedaction())
