"""Errors of the console's sign-in."""

from api.errors import Unauthorized


class ConsoleSignInFailed(Unauthorized):
    code, title = "console_sign_in_failed", "Unknown, revoked or till-only API key"
