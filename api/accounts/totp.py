"""The optional second factor: TOTP (RFC 6238, 6 digits, 30 s) with pyotp, enrolled by
scanning a QR code of its ``otpauth://`` URI (segno draws it as SVG)."""

from __future__ import annotations

from datetime import datetime

import pyotp
import segno

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
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return False
    return pyotp.TOTP(secret).verify(code, for_time=now, valid_window=1)


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator shows at ``now`` (tests and the demo use it)."""
    return pyotp.TOTP(secret).at(now)
