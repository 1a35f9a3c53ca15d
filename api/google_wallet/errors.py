"""Errors of the Google Wallet routes."""

from __future__ import annotations

from api.errors import ApiError, NotFound, ServiceUnavailable


class GoogleWalletOff(NotFound):
    code, title = "google_wallet_off", "Google Wallet is not set up on this service"


class GoogleUnreachable(ServiceUnavailable):
    code, title = "google_unavailable", "Google Wallet is not answering; try again shortly"


class BadCallback(ApiError):
    status_code, code, title = 400, "callback_rejected", "The callback did not verify"
