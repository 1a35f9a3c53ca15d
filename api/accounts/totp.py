"""The optional second factor: TOTP (RFC 6238, 6 digits, 30 s) with pyotp, enrolled by
scanning a QR code of its ``otpauth://`` URI (segno draws it as SVG)."""

from __future__ import annotations

from datetime import datetime

import pyotp
import segno
from pyotp.exceptions import OTPVerificationError

ISSUER = "loyalpass"


def new_secret() -> str:
    return pyotp.random_base32()


def uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(secret: str, email: str) -> str:
    """The enrolment QR code as an inline SVG (no script, no other origin)."""
    svg: str = segno.make(uri(secret, email), error="m").svg_inline(scale=4, border=2)
    return svg


def is_code(secret: str, code: str, *, now: datetime) -> bool:
    """Whether ``code`` is the current code, or the one before or after (clock drift)."""
    return matching_step(secret, code, now=now) is not None


def matching_step(secret: str, code: str, *, now: datetime, after: int | None = None) -> int | None:
    """The time step ``code`` belongs to (the current one, or the one before or after), or
    None. With ``after``: only a later step counts, so a code once used is refused until the
    next one (RFC 6238, 5.2: a verifier must not accept the same code twice)."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    try:
        step = pyotp.TOTP(secret).verify_and_get_timecode(code, for_time=now, valid_window=1)
    except (OTPVerificationError, ValueError):
        return None
    return step if after is None or step > after else None


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator shows at ``now`` (tests and the demo use it)."""
    return pyotp.TOTP(secret).at(now)
