"""Logging set-up: one line per record, ``key=value`` pairs from ``extra`` appended."""

from __future__ import annotations

import logging
import re

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if extras:
            line += " " + " ".join(f"{key}={value}" for key, value in sorted(extras.items()))
        return line


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


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
