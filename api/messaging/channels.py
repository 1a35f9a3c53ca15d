"""What every channel answers for one message, and the SMS provider interface."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    sent = "sent"  # accepted by the provider or the mail server
    retry = "retry"  # a temporary failure (outage, rate limit, 4xx SMTP): try again later
    failed = "failed"  # refused for good (bad number, unapproved sender): never again
    bounced = "bounced"  # the recipient does not exist (SMTP 5xx at RCPT)


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    provider_id: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds, when the provider said how long to wait
    segments: int | None = None
    is_opted_out: bool = False  # the provider says the recipient asked for no more (STOP)


@dataclass(frozen=True, slots=True)
class Sms:
    to: str  # E.164 without spaces, "+79161234567"
    text: str
    idempotency_key: str


class SmsProvider(Protocol):
    """An SMS gateway. ``supports_idempotency``: the provider drops a second request with the
    same ``idempotency_key``, so a message whose outcome is unknown (the sender died during
    the request) may simply be sent again."""

    name: str
    supports_idempotency: bool

    def send(self, sms: Sms) -> SendResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    retry_after: float | None


def post_form(
    url: str, fields: dict[str, str], *, headers: dict[str, str], timeout: float
) -> HttpAnswer:
    """POST ``fields`` form-encoded (UTF-8). Raises OSError when no answer came."""
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Accept": "application/json", **headers})  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpAnswer(response.status, response.read(), None)
    except urllib.error.HTTPError as exc:
        with exc:
            return HttpAnswer(exc.code, exc.read(), _seconds(exc.headers.get("Retry-After")))


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
