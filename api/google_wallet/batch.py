"""Google's batch endpoint: many walletobjects calls in one HTTP request.

``POST https://walletobjects.googleapis.com/batch`` with a ``multipart/mixed`` body, one part
per call (``Content-Type: application/http``, a ``Content-ID``, then the call as HTTP: request
line, headers, JSON body), at most 1,000 calls. The answer is ``multipart/mixed`` too, one part
per call, named ``response-<the call's Content-ID>``, in no promised order; each carries its
own status. The outer request's ``Authorization`` covers every call, and every call counts
against the 20 requests/s quota as if sent alone: the client's limiter is asked once per call.

A batch saves us the HTTP round trip and the client's per-request work, not quota: it is for
bulk work (a design publish re-PATCHing every object, a burst after an outage). Its calls
reach Google together, however the limiter spaced their places, so under the pace a batch
holds no more calls than Google's limit leaves above it (:func:`calls_per_batch`). Each answer
is left to the caller, who sends a call that failed again on its own through ``WalletClient``
(its retries, its typed errors, its upserts).
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from passes import GoogleWalletError, WalletClient

MAX_CALLS = 1000  # Google's limit per batch request
GOOGLE_PER_SECOND = 20  # Google Wallet API: requests per second per project
_CRLF = b"\r\n"


@dataclass(frozen=True, slots=True)
class Call:
    """One walletobjects call: ``path`` is relative to the API (``loyaltyObject/<id>``)."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def calls_per_batch(per_second: float) -> int:
    """How many calls one batch may hold when the client paces ``per_second`` calls.

    Calls paced ``1 / r`` apart and sent ``c`` at a time reach Google at most
    ``c * (floor(r / c) + 1) <= r + c`` in any second, so ``c = 20 - r`` keeps within
    Google's 20; one call less leaves room for the jitter of the sends (4 at the default pace
    of 15: at most 16 in any second). A pace above Google's means the limiter is off on
    purpose (a benchmark, a raised quota): then Google's own limit of 1,000.
    """
    if per_second > GOOGLE_PER_SECOND:
        return MAX_CALLS
    return max(1, int(GOOGLE_PER_SECOND - per_second) - 1)


def batch_url(api_url: str) -> str:
    """``https://host/walletobjects/v1`` -> ``https://host/batch``."""
    split = urlsplit(api_url)
    return urlunsplit((split.scheme, split.netloc, "/batch", "", ""))


def encode(calls: Sequence[Call], *, api_path: str, boundary: str) -> bytes:
    """The multipart/mixed body of ``calls``; part ``i`` has ``Content-ID: <item-i>``."""
    out: list[bytes] = []
    for index, call in enumerate(calls):
        body = b"" if call.body is None else json.dumps(call.body).encode()
        out += [
            f"--{boundary}".encode(),
            b"Content-Type: application/http",
            f"Content-ID: <item-{index}>".encode(),
            b"",
            f"{call.method} {api_path}/{call.path} HTTP/1.1".encode(),
        ]
        if call.body is not None:
            out += [b"Content-Type: application/json; charset=UTF-8",
                    f"Content-Length: {len(body)}".encode()]  # fmt: skip
        out += [b"", body]
    out.append(f"--{boundary}--".encode())
    return _CRLF.join(out) + _CRLF


def parse(content_type: str, data: bytes, count: int) -> list[Answer]:
    """The answers of a batch of ``count`` calls, in the order of the calls.

    Raises:
        GoogleWalletError: the answer is not a multipart/mixed of one answer per call.
    """
    boundary = _boundary(content_type)
    answers: dict[int, Answer] = {}
    for part in data.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        headers, _, http = part.strip(b"\r\n").partition(b"\r\n\r\n")
        index = _item_index(headers)
        status_line, _, rest = http.partition(b"\r\n")
        _, _, payload = rest.partition(b"\r\n\r\n")
        try:
            status = int(status_line.split()[1])
            body = json.loads(payload) if payload.strip() else {}
        except (IndexError, ValueError):
            raise _malformed("an answer that is not HTTP") from None
        answers[index] = Answer(status, body if isinstance(body, dict) else {})
    if sorted(answers) != list(range(count)):
        raise _malformed(f"{len(answers)} answers to {count} calls")
    return [answers[i] for i in range(count)]


def send(client: WalletClient, calls: Sequence[Call], *, paced: bool = True) -> list[Answer]:
    """Send ``calls`` (at most :data:`MAX_CALLS`) as one batch request; each call first waits
    for its place in the client's limiter (unless the caller took them: ``paced`` False).
    429 and 5xx of the batch itself (or no answer) are retried like any call of the client.

    Raises:
        GoogleWalletError: the batch itself failed (its status: 401/403 our key refused, 0
            unreachable, 429/5xx still failing after the retries).
    """
    assert 0 < len(calls) <= MAX_CALLS
    for _ in calls if paced else ():  # every call counts against Google's quota
        client.limiter.wait()
    boundary = f"batch_{secrets.token_hex(12)}"
    api_path = urlsplit(client.api_url).path.rstrip("/")
    data = encode(calls, api_path=api_path, boundary=boundary)
    headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
    url = batch_url(client.api_url)
    for attempt in range(client.max_retries + 1):
        try:
            response = client.session.post(url, data=data, headers=headers, timeout=client.timeout)
        except OSError as exc:  # requests' ConnectionError is an OSError
            error = GoogleWalletError(0, "unreachable", str(exc)[:200])
        else:
            if response.status_code < 300:
                return parse(response.headers.get("Content-Type", ""), response.content,
                             len(calls))  # fmt: skip
            error = GoogleWalletError(response.status_code, _reason(response), "batch refused")
        if not (error.status == 0 or error.status == 429 or error.status >= 500):
            raise error
        if attempt == client.max_retries:
            raise error
        client.sleep(min(2**attempt, 30) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def _boundary(content_type: str) -> str:
    kind, _, params = content_type.partition(";")
    if kind.strip().lower() != "multipart/mixed":
        raise _malformed(f"Content-Type {content_type!r}")
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"')
    raise _malformed("no boundary")


def _item_index(headers: bytes) -> int:
    for line in headers.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-id":
            item = value.strip().strip("<>").removeprefix("response-")
            if item.startswith("item-") and item[5:].isdigit():
                return int(item[5:])
    raise _malformed("an answer without the Content-ID of its call")


def _reason(response: Any) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("errors", [{}])[0].get("reason", "")) or "error"
    except (ValueError, AttributeError, IndexError):
        return "error"


def _malformed(what: str) -> GoogleWalletError:
    return GoogleWalletError(502, "badBatchAnswer", f"malformed batch answer: {what}")
