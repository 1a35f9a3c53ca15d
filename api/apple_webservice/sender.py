"""A blocking facade over the asyncio APNs client, for the synchronous push worker: one
background event loop and one long-lived HTTP/2 connection, reused across batches."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Sequence

from api.settings import Settings
from passes import ApnsClient, PushResult, client_ssl_context


class ApnsSender:
    def __init__(self, client: ApnsClient, *, credential: str = "") -> None:
        self._client = client
        self.credential = credential  # names the certificate: a refusal blocks this one only
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="apns", daemon=True)
        self._thread.start()

    @classmethod
    def from_settings(cls, settings: Settings, topic: str) -> ApnsSender:
        password = settings.apple_key_password
        context = client_ssl_context(
            settings.apple_cert_file,
            settings.apple_key_file,
            wwdr_file=settings.apple_wwdr_file,
            password=password.get_secret_value().encode() if password else None,
            ca_file=settings.apns_ca_file,
        )
        client = ApnsClient(
            url=settings.apns_url,
            ssl_context=context,
            topic=topic,
            push_type=settings.apns_push_type,
            priority=settings.apns_priority,
            max_in_flight=settings.apns_max_in_flight,
        )
        return cls(client, credential=certificate_fingerprint(settings))

    def send(self, tokens: Sequence[str]) -> list[PushResult]:
        """Push to every token; blocks until each has an answer (or timed out)."""
        future = asyncio.run_coroutine_threadsafe(self._client.push_many(tokens), self._loop)
        return future.result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


def certificate_fingerprint(settings: Settings) -> str:
    """The SHA-256 of the certificate file: another file is another credential."""
    return hashlib.sha256(settings.apple_cert_file.read_bytes()).hexdigest()[:32]
