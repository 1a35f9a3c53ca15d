"""Faithful local fakes of the push endpoints of three Android wallet apps, one real HTTP server
(standard library ``ThreadingHTTPServer``) on a loopback port in a thread, checking what the
real ones check and answering in their format.

- Wallet Passes, ``POST /walletpasses/api/v1/push``: JSON ``{"passTypeIdentifier": str,
  "pushTokens": [str, ...]}``. The key is optional (``Authorization: <API key>``); a key
  that is sent must be one it issued (401). At most ``walletpasses_limit`` tokens per call.
- Pass2U (API v2), ``POST /pass2u/v2/registrations/{passTypeIdentifier}/push``: header
  ``x-api-key`` required and known (401), ``Content-Type: application/json`` (415), JSON
  ``{"registrationIds": [str, ...]}`` with 1 to 1,000 ids (400; 413 above the limit).
- Passworks, ``POST /passworks/v1/pushUpdate``: ``Authorization: <Wallet App Key>`` required
  and known (401), JSON ``{"passTypeIdentifier", "pushTokens"}``; answers FCM's raw multicast
  result, ``{"multicast_id", "success", "failure", "canonical_ids", "results": [...]}`` with
  ``{"error": "NotRegistered"}`` for tokens in ``unregistered``.

A malformed body is 400. ``fail_next(n, status)`` answers the next ``n`` calls ``status``
(``Retry-After: 7`` on 429 and 503). Accepted pushes are recorded in ``pushes``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import unquote

PASS2U_LIMIT = 1000


@dataclass
class AppPush:
    """One accepted call: which app, for which pass type, to which tokens, with which key."""

    app: str
    pass_type: str
    tokens: list[str]
    key: str | None


@dataclass
class _State:
    pushes: list[AppPush] = field(default_factory=list)
    requests: int = 0
    failures: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)


class FakeAndroidWallets:
    def __init__(
        self,
        *,
        walletpasses_keys: frozenset[str] = frozenset({"wp-key"}),
        pass2u_keys: frozenset[str] = frozenset({"p2u-key"}),
        passworks_keys: frozenset[str] = frozenset({"pw-key"}),
        walletpasses_limit: int = 1000,
    ) -> None:
        self.keys = {"walletpasses": walletpasses_keys, "pass2u": pass2u_keys,
                     "passworks": passworks_keys}  # fmt: skip
        self.walletpasses_limit = walletpasses_limit
        self.unregistered: set[str] = set()
        self.state = _State()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake.state.lock:
                    fake.state.requests += 1
                    failure = fake.state.failures.pop(0) if fake.state.failures else None
                if failure is not None:
                    status, answer = failure, {"error": "unavailable"}
                else:
                    status, answer = fake.handle(self.path, dict(self.headers.items()), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status in (429, 503):
                    self.send_header("Retry-After", "7")
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def walletpasses_url(self) -> str:
        return f"{self.base_url}/walletpasses/api/v1/push"

    @property
    def pass2u_url(self) -> str:
        return f"{self.base_url}/pass2u/v2/registrations"

    @property
    def passworks_url(self) -> str:
        return f"{self.base_url}/passworks/v1/pushUpdate"

    @property
    def pushes(self) -> list[AppPush]:
        with self.state.lock:
            return list(self.state.pushes)

    def fail_next(self, count: int, status: int = 503) -> None:
        with self.state.lock:
            self.state.failures += [status] * count

    def reset(self) -> None:
        with self.state.lock:
            self.state.pushes.clear()
            self.state.failures.clear()
            self.state.requests = 0
        self.unregistered.clear()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
        lower = {name.lower(): value for name, value in headers.items()}
        if path == "/walletpasses/api/v1/push":
            key = lower.get("authorization")
            if key is not None and key not in self.keys["walletpasses"]:
                return 401, {"error": "invalid API key"}
            parsed = _tokens_body(body, "pushTokens", with_pass_type=True)
            if parsed is None:
                return 400, {"error": "expected passTypeIdentifier and pushTokens"}
            pass_type, tokens = parsed
            if len(tokens) > self.walletpasses_limit:
                return 413, {"error": "too many push tokens"}
            self._record(AppPush("walletpasses", pass_type, tokens, key))
            return 200, {}
        prefix, suffix = "/pass2u/v2/registrations/", "/push"
        if path.startswith(prefix) and path.endswith(suffix):
            key = lower.get("x-api-key")
            if key not in self.keys["pass2u"]:
                return 401, {"message": "Unauthorized"}
            if not lower.get("content-type", "").startswith("application/json"):
                return 415, {"message": "Unsupported Media Type"}
            parsed = _tokens_body(body, "registrationIds", with_pass_type=False)
            if parsed is None:
                return 400, {"message": "registrationIds must be a non-empty list of strings"}
            if len(parsed[1]) > PASS2U_LIMIT:
                return 413, {"message": "at most 1000 registrationIds"}
            pass_type = unquote(path[len(prefix) : -len(suffix)])
            self._record(AppPush("pass2u", pass_type, parsed[1], key))
            return 200, {"message": "OK"}
        if path == "/passworks/v1/pushUpdate":
            key = lower.get("authorization")
            if key not in self.keys["passworks"]:
                return 401, {"error": "invalid Wallet App Key"}
            parsed = _tokens_body(body, "pushTokens", with_pass_type=True)
            if parsed is None:
                return 400, {"error": "expected passTypeIdentifier and pushTokens"}
            pass_type, tokens = parsed
            results = [
                {"error": "NotRegistered"}
                if token in self.unregistered
                else {"message_id": f"0:{index}%fake"}
                for index, token in enumerate(tokens)
            ]
            gone = sum(1 for token in tokens if token in self.unregistered)
            delivered = [t for t in tokens if t not in self.unregistered]
            self._record(AppPush("passworks", pass_type, delivered, key))
            return 200, {"multicast_id": 1, "success": len(tokens) - gone, "failure": gone,
                         "canonical_ids": 0, "results": results}  # fmt: skip
        return 404, {"error": "not found"}

    def wait_for(self, count: int, timeout: float = 5.0) -> list[AppPush]:
        with self.state.arrived:
            self.state.arrived.wait_for(lambda: len(self.pushes) >= count, timeout)
        return self.pushes

    def _record(self, push: AppPush) -> None:
        with self.state.lock:
            self.state.pushes.append(push)
        with self.state.arrived:
            self.state.arrived.notify_all()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _tokens_body(body: bytes, name: str, *, with_pass_type: bool) -> tuple[str, list[str]] | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    tokens = parsed.get(name)
    if not isinstance(tokens, list) or not tokens or not all(isinstance(t, str) for t in tokens):
        return None
    pass_type = parsed.get("passTypeIdentifier", "")
    if with_pass_type and (not isinstance(pass_type, str) or not pass_type):
        return None
    return str(pass_type), tokens
