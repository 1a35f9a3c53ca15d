"""A webhook receiver on a local port that verifies every request with the reference
``standardwebhooks`` implementation, and can be told to fail."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook


@dataclass
class Receiver:
    url: str = ""
    secrets: list[str] = field(default_factory=list)
    failing: bool = False
    redirect_to: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    refused: int = 0

    def verify(self, body: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
        """The payload when any of the receiver's secrets verifies the request, else None."""
        for secret in self.secrets:
            try:
                payload: dict[str, Any] = Webhook(secret).verify(body, headers)
            except Exception:  # noqa: BLE001 - the verifier raises its own error types
                continue
            return payload
        return None

    @property
    def types(self) -> list[str]:
        return [event["type"] for event in self.received]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["content-length"]))
            if receiver.redirect_to is not None:
                self.send_response(307)
                self.send_header("location", receiver.redirect_to)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            if receiver.failing:
                self._answer(503, b"down for maintenance")
                return
            payload = receiver.verify(body, {k.lower(): v for k, v in self.headers.items()})
            if payload is None:
                receiver.refused += 1
                self._answer(401, b"bad signature")
                return
            receiver.received.append(payload)
            receiver.ids.append(self.headers["webhook-id"])
            self._answer(200, json.dumps({"ok": True}).encode())

        def _answer(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
