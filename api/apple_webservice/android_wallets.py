"""Third-party Android wallet apps on Apple's pass web service: which app a request comes from,
and the sender that tells each app to refresh a pass.

Wallet Passes, Pass2U and Passworks open the same ``.pkpass`` and call the same web service
(register, updated serials, pass, unregister, log). They differ in how they name themselves
(``Authorization: AndroidPass <token>``, ``X-Pass-Client: Passes`` or ``Passworks``) and in
where the "please refresh" push goes: each app's own HTTPS JSON endpoint instead of APNs.
A sender here answers one ``PushResult`` per token, like the APNs client, so the push queue
(``pushes``, ``pusher``) treats every app alike: 401/403 (our key refused) blocks the app's
channel, 429/5xx and no answer retry, a token the app says is gone loses its registration.
"""

from __future__ import annotations

import hashlib
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from pydantic import SecretStr
from sqlalchemy.engine import Engine

from api.apple_webservice.pusher import ApplePusher
from api.settings import Settings
from passes import PushResult

logger = logging.getLogger(__name__)


class ClientKind(StrEnum):
    APPLE = "apple"
    WALLET_PASSES = "walletpasses"
    PASS2U = "pass2u"
    PASSWORKS = "passworks"


# The word before the pass's token in ``Authorization``: Wallet Passes sends its own.
SCHEMES = {"ApplePass": ClientKind.APPLE, "AndroidPass": ClientKind.WALLET_PASSES}
# ``X-Pass-Client`` values (compared case-insensitively); any other value is Apple Wallet.
PASS_CLIENTS = {"passes": ClientKind.PASS2U, "passworks": ClientKind.PASSWORKS}
# FCM's per-token errors in a Passworks answer that mean the app is gone from the phone.
_GONE_ERRORS = frozenset({"NotRegistered", "InvalidRegistration", "MismatchSenderId"})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def client_kind(authorization: str | None, pass_client: str | None) -> ClientKind:
    """The wallet app behind a request, from its scheme word and ``X-Pass-Client``."""
    scheme = (authorization or "").partition(" ")[0]
    kind = SCHEMES.get(scheme, ClientKind.APPLE)
    if kind is ClientKind.APPLE and pass_client:
        kind = PASS_CLIENTS.get(pass_client.strip().lower(), ClientKind.APPLE)
    return kind


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one app takes pushes, how it wants them, and how many tokens per call."""

    kind: ClientKind
    url: str
    api_key: str | None = field(repr=False)  # never in a log line or a traceback
    batch_size: int


class AndroidWalletSender:
    """Pushes to one app's endpoint over plain HTTPS JSON, in batches it allows; same
    interface as ``ApnsSender`` (``send``, ``credential``, ``close``)."""

    def __init__(
        self, endpoint: Endpoint, *, pass_type_identifier: str, timeout: float = 10.0
    ) -> None:
        self.endpoint = endpoint
        self.pass_type_identifier = pass_type_identifier
        self.timeout = timeout
        key = (endpoint.api_key or "").encode()
        # Names the key without holding it: a refusal blocks this key only.
        self.credential = hashlib.sha256(key).hexdigest()[:32]

    @property
    def channel(self) -> str:
        """The ``outbound`` channel this app's pushes use."""
        return str(self.endpoint.kind)

    def send(self, tokens: Sequence[str]) -> list[PushResult]:
        """Push to every token; one answer per token, in order."""
        results: list[PushResult] = []
        size = max(1, self.endpoint.batch_size)
        for start in range(0, len(tokens), size):
            results += self._send_batch(list(tokens[start : start + size]))
        return results

    def close(self) -> None:
        return None

    def _send_batch(self, tokens: list[str]) -> list[PushResult]:
        url, headers, body = self._request(tokens)
        headers = {"Content-Type": "application/json", **headers}
        data = json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read()
        except (OSError, ValueError) as exc:  # refused, reset, timed out: no answer
            extra = {"client": self.channel, "error": type(exc).__name__}
            logger.warning("wallet app push failed", extra=extra)
            return [PushResult(token, 0, "Unreachable") for token in tokens]
        if 200 <= status < 300:
            return self._delivered(tokens, answer)
        return [PushResult(token, _apns_like(status), f"HTTP {status}") for token in tokens]

    def _request(self, tokens: list[str]) -> tuple[str, dict[str, str], dict[str, object]]:
        key = self.endpoint.api_key
        if self.endpoint.kind is ClientKind.PASS2U:
            pass_type = urllib.parse.quote(self.pass_type_identifier, safe="")
            url = f"{self.endpoint.url.rstrip('/')}/{pass_type}/push"
            return url, {"x-api-key": key or ""}, {"registrationIds": tokens}
        headers = {"Authorization": key} if key else {}
        body: dict[str, object] = {"passTypeIdentifier": self.pass_type_identifier,
                                   "pushTokens": tokens}  # fmt: skip
        return self.endpoint.url, headers, body

    def _delivered(self, tokens: list[str], answer: bytes) -> list[PushResult]:
        if self.endpoint.kind is not ClientKind.PASSWORKS:
            return [PushResult(token, 200) for token in tokens]
        # Passworks relays FCM's multicast answer: one result per token, in order.
        try:
            per_token = json.loads(answer).get("results") or []
        except (ValueError, AttributeError):
            per_token = []
        results = []
        for index, token in enumerate(tokens):
            item = per_token[index] if index < len(per_token) else {}
            error = item.get("error") if isinstance(item, dict) else None
            if error in _GONE_ERRORS:
                results.append(PushResult(token, 410, error))
            elif error:
                results.append(PushResult(token, 503, str(error)[:40]))
            else:
                results.append(PushResult(token, 200))
        return results


def _apns_like(status: int) -> int:
    """The app's HTTP status in APNs's terms, which the push queue reads: a refused key is
    403 (blocks the channel), throttling and outages retry, anything else is a rejection."""
    if status in (401, 403):
        return 403
    if status in _RETRY_STATUSES:
        return status
    return 400


def endpoints(settings: Settings) -> list[Endpoint]:
    """The apps we push to: Wallet Passes always (its API needs no key), Pass2U and Passworks
    once their key is set."""

    def secret(value: SecretStr | None) -> str | None:
        return value.get_secret_value() if value is not None else None

    found = [
        Endpoint(ClientKind.WALLET_PASSES, settings.walletpasses_push_url,
                 secret(settings.walletpasses_api_key), settings.walletpasses_batch_size),
        Endpoint(ClientKind.PASS2U, settings.pass2u_push_url, secret(settings.pass2u_api_key),
                 settings.pass2u_batch_size),
        Endpoint(ClientKind.PASSWORKS, settings.passworks_push_url,
                 secret(settings.passworks_api_key), settings.passworks_batch_size),
    ]  # fmt: skip
    return [e for e in found if e.kind is ClientKind.WALLET_PASSES or e.api_key]


def build_pushers(
    engine: Engine, settings: Settings, pass_type_identifier: str
) -> list[ApplePusher]:
    """One push coordinator per wallet app we push to, each leasing only its app's pushes
    and recording answers on its own ``outbound`` channel (named after the app)."""
    pushers = []
    for endpoint in endpoints(settings):
        sender = AndroidWalletSender(endpoint, pass_type_identifier=pass_type_identifier)
        pushers.append(
            ApplePusher(
                engine,
                sender.send,
                batch_size=settings.apns_batch_size,
                lease=timedelta(seconds=settings.apns_lease_seconds),
                credential=sender.credential,
                client=sender.channel,
                channel=sender.channel,
            )
        )
    return pushers
