"""The TOTP second factor: the current code and its neighbours (clock drift) count, a code
once used does not count again, and the enrolment QR code is an inline SVG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.accounts import totp

NOW = datetime(2026, 12, 6, 12, 0, 10, tzinfo=UTC)


def test_the_current_code_and_its_neighbours_count() -> None:
    secret = totp.new_secret()
    assert totp.is_code(secret, totp.code_at(secret, NOW), now=NOW)
    assert totp.is_code(secret, totp.code_at(secret, NOW - timedelta(seconds=30)), now=NOW)
    assert not totp.is_code(secret, totp.code_at(secret, NOW - timedelta(minutes=2)), now=NOW)
    assert not totp.is_code(secret, "12345", now=NOW)
    assert not totp.is_code(secret, "abcdef", now=NOW)


def test_a_used_code_does_not_count_again() -> None:
    secret = totp.new_secret()
    code = totp.code_at(secret, NOW)
    step = totp.matching_step(secret, code, now=NOW)
    assert step is not None
    assert totp.matching_step(secret, code, now=NOW, after=step) is None
    later = NOW + timedelta(seconds=30)
    assert (
        totp.matching_step(secret, totp.code_at(secret, later), now=later, after=step) == step + 1
    )


def test_the_qr_code_is_an_inline_svg_of_the_otpauth_uri() -> None:
    secret = totp.new_secret()
    assert totp.uri(secret, "a@example.com").startswith("otpauth://totp/loyalpass:a%40example.com")
    svg = totp.qr_svg(secret, "a@example.com")
    assert svg.startswith("<svg")
    assert "<script" not in svg
