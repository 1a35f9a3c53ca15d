"""Errors of Apple's pass-update web service."""

from __future__ import annotations

from api.errors import ApiError


class PassUnauthorized(ApiError):
    """401 for a wrong token and for an unknown pass alike, as Apple asks."""

    status_code, code, title = 401, "pass_unauthorized", "Not authorized for this pass"
    challenge = "ApplePass"  # the scheme Wallet sends: Authorization: ApplePass <token>


class MalformedWalletRequest(ApiError):
    """400 for a body, path or query FastAPI could not parse on a web service route: Apple's
    clients expect 400 there, not the 422 ``validation_error`` of the rest of the API."""

    status_code, code, title = 400, "malformed_wallet_request", "Malformed Wallet request"


class DeviceLogRateLimited(ApiError):
    """429 when this address (or all senders together) posted as many ``/log`` lines as the
    window allows; the answer carries ``Retry-After`` and ``retry_after`` (seconds)."""

    status_code, code, title = 429, "device_log_rate_limited", "Too many device log lines"
