"""Wallet's device logs (``POST /apple/v1/log``): what is kept, how much, for how long, and how
a merchant sees it.

Apple's protocol gives ``/log`` no credential, so anyone can post there, about any serial. A
line is therefore an unverified report: bounded per line and per request (what fits is kept,
the rest dropped and counted in the log), rate limited per sender address and for all senders
together, deleted after :data:`RETENTION`, and shown to the merchant whose serial it mentions
under ``unverified_*`` names, never as a fact about the card.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import re
from datetime import datetime, timedelta
from uuid import UUID

from sqlmodel import Session

from api.apple_webservice import repository
from api.apple_webservice.errors import DeviceLogRateLimited
from api.apple_webservice.models import AppleDeviceLog
from api.apple_webservice.schemas import DeviceLogPublic
from api.clock import as_utc

logger = logging.getLogger(__name__)

MAX_LINE_CHARS = 2000  # a longer line is cut (Wallet's own lines are a few hundred)
MAX_LINES_PER_REQUEST = 100  # Apple's clients send fewer; the first 100 are kept
MAX_CHARS_PER_REQUEST = 64_000  # lines past this many characters in one request are dropped
WINDOW = timedelta(hours=1)
LINES_PER_ADDRESS = 200  # lines kept per sender address (IPv6: per /64) in any WINDOW
LINES_IN_ALL = 5_000  # lines kept from all senders together in any WINDOW
RETENTION = timedelta(days=14)

_SERIAL_RE = re.compile(r"serial number '?([A-Za-z0-9_-]{1,64})'?")
_STATUS_RE = re.compile(r"response code (\d{3})")
_ERROR_RE = re.compile(r"(?:encountered error|error):\s*(.{1,300})", re.IGNORECASE)


def store(session: Session, lines: list[str], *, client_address: str | None, now: datetime) -> int:
    """Keep what fits of the posted lines; returns how many were kept.

    Raises:
        DeviceLogRateLimited: the sender's address, or all senders, used up the window.
    """
    fitting = _within_request_bounds(lines)
    key = client_key(client_address)
    repository.lock_device_logs(session)  # the counts below hold until we commit
    since = now - WINDOW
    by_address, first_by_address = repository.log_usage(session, since, client_key=key)
    in_all, first_in_all = repository.log_usage(session, since)
    room = min(LINES_PER_ADDRESS - by_address, LINES_IN_ALL - in_all)
    if fitting and room <= 0:
        first = first_by_address if by_address >= LINES_PER_ADDRESS else first_in_all
        wait = (as_utc(first) + WINDOW - now).total_seconds() if first else WINDOW.total_seconds()
        logger.warning("wallet device log refused: rate limit", extra={"lines": len(lines)})
        raise DeviceLogRateLimited(retry_after=max(1, math.ceil(wait)))
    kept = fitting[: max(room, 0)]
    parsed = [_parse(line) for line in kept]
    owners = repository.merchants_by_serial(
        session, {serial for serial, _, _ in parsed if serial is not None}
    )
    session.add_all(
        AppleDeviceLog(
            merchant_id=owners.get(serial) if serial else None,
            serial_number=serial,
            status_code=status,
            error=error,
            message=line,
            client_key=key,
            created_at=now,
        )
        for line, (serial, status, error) in zip(kept, parsed, strict=True)
    )
    dropped = len(lines) - len(kept)
    level = logging.WARNING if dropped else logging.INFO
    logger.log(level, "wallet device log", extra={"kept": len(kept), "dropped": dropped})
    return len(kept)


def for_merchant(session: Session, merchant_id: UUID, *, limit: int) -> list[DeviceLogPublic]:
    """The reports that mention this merchant's serials, newest first (unverified)."""
    rows = repository.logs_for_merchant(session, merchant_id, limit=limit)
    return [DeviceLogPublic.of(row) for row in rows]


def prune(session: Session, *, now: datetime) -> int:
    """Delete the lines older than :data:`RETENTION`; returns how many."""
    return repository.delete_logs_before(session, now - RETENTION)


def client_key(address: str | None) -> str:
    """The rate-limit key of a sender: a hash of its IPv4 address or of its IPv6 /64 (one
    home or phone gets a whole /64, so a key per address would be no limit at all)."""
    text = address or "unknown"
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            text = str(ip.ipv4_mapped)
        elif isinstance(ip, ipaddress.IPv6Address):
            text = str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
        else:
            text = str(ip)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _within_request_bounds(lines: list[str]) -> list[str]:
    kept: list[str] = []
    chars = 0
    for line in lines:
        text = line.strip()[:MAX_LINE_CHARS]
        if not text:
            continue
        if len(kept) == MAX_LINES_PER_REQUEST or chars + len(text) > MAX_CHARS_PER_REQUEST:
            break
        kept.append(text)
        chars += len(text)
    return kept


def _parse(line: str) -> tuple[str | None, int | None, str | None]:
    """(serial, status code, error) as the line claims them."""
    serial = _SERIAL_RE.search(line)
    status = _STATUS_RE.search(line)
    error = _ERROR_RE.search(line)
    return (
        serial.group(1) if serial else None,
        int(status.group(1)) if status else None,
        error.group(1).strip()[:300] if error else None,
    )
