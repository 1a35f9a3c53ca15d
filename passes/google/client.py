"""A Google Wallet REST client (walletobjects v1) over google-auth's ``AuthorizedSession``.

What it takes care of so callers do not have to:
- an insert that answers 409 means the resource exists: it becomes a PATCH (an upsert);
- class writes always carry ``reviewStatus: UNDER_REVIEW`` (Google rejects a client that
  sends back APPROVED);
- nothing is ever deleted (a card is retired with ``state: INACTIVE``);
- 429 and 5xx are retried with jittered exponential backoff; the notification cap
  (``quotaExceeded``) is not retried: the caller sends the update silently instead;
- requests are paced below Google's 20 requests per second;
- errors are typed, and a 403 says the usual cause: the service account is not a user of the
  issuer in the Google Pay & Wallet Console.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account

from passes.errors import PassError

SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
DEFAULT_API_URL = "https://walletobjects.googleapis.com/walletobjects/v1"


class GoogleWalletError(PassError):
    """Google answered an error; ``status`` and ``reason`` are Google's."""

    code = "google_wallet_error"

    def __init__(self, status: int, reason: str, message: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"Google Wallet {status} {reason}: {message}")


class GoogleBadRequest(GoogleWalletError):
    """400: a bad id, field, type or length."""


class GooglePermissionDenied(GoogleWalletError):
    """403: usually the service account is not a user of the issuer."""

    HINT = (
        "add the service account's email as a user of your issuer in the Google Pay & "
        "Wallet Console (Users), then retry"
    )


class GoogleNotFound(GoogleWalletError):
    """404: no such class or object."""


class GoogleConflict(GoogleWalletError):
    """409: the id exists already."""


class NotificationQuotaExceeded(GoogleWalletError):
    """The object's notification budget (3 per 24 hours) is spent: update it silently."""


class GoogleUnavailable(GoogleWalletError):
    """429 or 5xx still failing after the retries, or Google unreachable: try again later."""


class Pacer(Protocol):
    """What the client calls before each request (a service may pace several processes)."""

    def wait(self) -> None: ...


class RateLimiter:
    """Spaces calls at least ``1 / per_second`` apart (thread-safe)."""

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.interval = 1.0 / per_second
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self.sleep(start - now)


class WalletClient:
    def __init__(
        self,
        session: AuthorizedSession,
        *,
        api_url: str = DEFAULT_API_URL,
        per_second: float = 15.0,
        max_retries: int = 4,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.session = session
        self.api_url = api_url.rstrip("/")
        self.limiter: Pacer = RateLimiter(per_second, sleep=sleep)
        self.per_second = per_second
        self.max_retries = max_retries
        self.timeout = timeout
        self.sleep = sleep

    @classmethod
    def from_service_account_info(cls, info: Mapping[str, Any], **options: Any) -> WalletClient:
        """A client for the key file's account; tokens come from its ``token_uri``."""
        credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            dict(info), scopes=[SCOPE]
        )
        return cls(AuthorizedSession(credentials), **options)  # type: ignore[no-untyped-call]

    @classmethod
    def from_service_account_file(cls, path: Path, **options: Any) -> WalletClient:
        import json

        return cls.from_service_account_info(json.loads(path.read_text()), **options)

    def close(self) -> None:
        self.session.close()  # type: ignore[no-untyped-call]

    # classes -------------------------------------------------------------------------------

    def upsert_class(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Insert the class, or patch it when it exists."""
        payload = {**body, "reviewStatus": "UNDER_REVIEW"}
        try:
            return self._call("POST", "loyaltyClass", payload)
        except GoogleConflict:
            return self._call("PATCH", f"loyaltyClass/{payload['id']}", payload)

    def get_class(self, class_id: str) -> dict[str, Any]:
        return self._call("GET", f"loyaltyClass/{class_id}")

    def patch_class(self, class_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", f"loyaltyClass/{class_id}",
                          {**fields, "reviewStatus": "UNDER_REVIEW"})  # fmt: skip

    # objects -------------------------------------------------------------------------------

    def upsert_object(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Insert the object, or patch it (silently) when it exists."""
        try:
            return self._call("POST", "loyaltyObject", dict(body))
        except GoogleConflict:
            return self._call("PATCH", f"loyaltyObject/{body['id']}", dict(body))

    def get_object(self, object_id: str) -> dict[str, Any]:
        return self._call("GET", f"loyaltyObject/{object_id}")

    def patch_object(
        self, object_id: str, fields: Mapping[str, Any], *, notify: bool = False
    ) -> dict[str, Any]:
        """PATCH fields (arrays are replaced whole). ``notify`` asks Google to notify the
        holder about an allowlisted change (it counts against the 3-per-24-hours budget).

        Raises:
            NotificationQuotaExceeded: with ``notify``, when the budget is spent.
        """
        payload = dict(fields)
        if notify:
            payload["notifyPreference"] = "NOTIFY_ON_UPDATE"  # not stored: send it each time
        return self._call("PATCH", f"loyaltyObject/{object_id}", payload)

    def add_object_message(self, object_id: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Add a message to the card; ``TEXT_AND_NOTIFY`` also notifies (within the budget)."""
        answer = self._call("POST", f"loyaltyObject/{object_id}/addMessage",
                            {"message": dict(message)})  # fmt: skip
        resource: dict[str, Any] = answer.get("resource", answer)
        return resource

    # transport -----------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        url = f"{self.api_url}/{path}"
        for attempt in range(self.max_retries + 1):
            self.limiter.wait()
            try:
                response = self.session.request(  # type: ignore[no-untyped-call]
                    method, url, json=body, timeout=self.timeout
                )
            except OSError as exc:  # requests' ConnectionError is an OSError
                error: GoogleWalletError = GoogleUnavailable(0, "unreachable", str(exc))
            else:
                if response.status_code < 300:
                    result: dict[str, Any] = response.json() if response.content else {}
                    return result
                error = _error(response.status_code, _json(response))
            retryable = isinstance(error, GoogleUnavailable)
            if not retryable or attempt == self.max_retries:
                raise error
            self.sleep(min(2**attempt, 30) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")


def _json(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error(status: int, body: Mapping[str, Any]) -> GoogleWalletError:
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    assert isinstance(error, dict)
    message = str(error.get("message", ""))
    details = error.get("errors") or [{}]
    reason = str(details[0].get("reason", "")) if isinstance(details[0], dict) else ""
    if status == 400:
        return GoogleBadRequest(status, reason or "badRequest", message)
    if status == 403:
        return GooglePermissionDenied(status, reason or "permissionDenied",
                                      f"{message} ({GooglePermissionDenied.HINT})")  # fmt: skip
    if status == 404:
        return GoogleNotFound(status, reason or "notFound", message)
    if status == 409:
        return GoogleConflict(status, reason or "duplicate", message)
    if status == 429 and reason == "quotaExceeded":
        return NotificationQuotaExceeded(status, reason, message)
    if status == 429 or status >= 500:
        return GoogleUnavailable(status, reason or "unavailable", message)
    return GoogleWalletError(status, reason or "error", message)
