"""The webhook sender: a thin loop that leases due events in one short transaction, calls
each receiver outside any transaction (no redirects followed, the host re-checked and the
connection made to the address checked), and
records every answer in another."""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import exists, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from api.clock import utcnow
from api.db import reading
from api.logs import bound_request_id, request_id_header
from api.webhooks import delivery
from api.webhooks.addresses import check_url
from api.webhooks.errors import WebhookUrlRefused
from api.webhooks.models import WebhookEvent
from api.webhooks.signing import headers

logger = logging.getLogger(__name__)
TIMEOUT = 10.0

Post = Callable[[str, dict[str, str], bytes, str | None], tuple[int | None, str]]


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a vetted address, the certificate checked against the URL's host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address
        self.tls = ssl.create_default_context()

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def http_post(
    url: str, head: dict[str, str], body: bytes, address: str | None
) -> tuple[int | None, str]:
    """POST once to ``address`` (the vetted one) or the URL's host; never follows a redirect
    (a 3xx is the answer). The status (None: no answer) and the start of the answer's body."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    is_https = parts.scheme == "https"
    port = parts.port or (443 if is_https else 80)
    connection: http.client.HTTPConnection
    if is_https:
        connection = _PinnedHTTPS(host, port, address=address or host, timeout=TIMEOUT)
    else:
        connection = http.client.HTTPConnection(address or host, port, timeout=TIMEOUT)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers={**head, "Host": parts.netloc})
        response = connection.getresponse()
        return response.status, response.read(delivery.EXCERPT).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        return None, str(exc)[: delivery.EXCERPT]
    finally:
        connection.close()


@dataclass
class SendReport:
    delivered: int = 0
    failed: int = 0


@dataclass
class WebhookSender:
    engine: Engine
    require_https: bool
    allow_private: bool
    post: Post = http_post

    def has_work(self) -> bool:
        due = exists().where(
            col(WebhookEvent.status) == "pending",
            col(WebhookEvent.next_attempt_at) <= utcnow(),
        )
        with reading(self.engine) as session:
            return bool(session.execute(select(due)).scalar())

    def run_once(self, *, now: datetime | None = None) -> SendReport:
        """Deliver every due event once, as of ``now`` (tests pass a later one)."""
        report = SendReport()
        while True:
            at = now or utcnow()
            with Session(self.engine) as session, session.begin():
                attempts = delivery.lease_due(session, now=at)
            if not attempts:
                return report
            for attempt in attempts:
                with bound_request_id(attempt.request_id):
                    outcome = self._send(attempt)
                    with Session(self.engine) as session, session.begin():
                        delivery.record(session, attempt.event_id, outcome, now=at)
                if outcome.is_success:
                    report.delivered += 1
                else:
                    report.failed += 1

    def _send(self, attempt: delivery.Attempt) -> delivery.Outcome:
        try:
            address = check_url(
                attempt.url, require_https=self.require_https, allow_private=self.allow_private
            )
        except WebhookUrlRefused as exc:
            return delivery.Outcome(None, 0, f"refused: {exc}")
        msg_id = delivery.msg_id(attempt.event_id)
        # The header carries the real time (receivers check it), whatever ``now`` the retries use.
        head = headers(attempt.secrets, msg_id, int(time.time()), attempt.body)
        head |= request_id_header(attempt.request_id)
        started = time.monotonic()
        status, excerpt = self.post(attempt.url, head, attempt.body.encode(), address)
        latency = int((time.monotonic() - started) * 1000)
        if status is None:
            logger.warning("webhook not answered", extra={"event": msg_id})
        return delivery.Outcome(status, latency, excerpt)
