"""Access logs hold no card token, card number, contact or unsubscribe link."""

from __future__ import annotations

import pytest

from api.logs import redact_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/cards/tok123/apple.pkpass", "/cards/***/apple.pkpass"),
        ("/unsubscribe/abc123", "/unsubscribe/***"),
        ("/messaging/v1/smsru/secret/status", "/messaging/v1/smsru/***/status"),
        ("/apple/v1/passes/pass.com.example/123456789012", "/apple/v1/passes/pass.com.example/***"),
        (
            "/apple/v1/devices/lib1/registrations/pass.com.example/123456789012",
            "/apple/v1/devices/***/registrations/pass.com.example/***",
        ),
        ("/api/v1/members?query=%2B79161234567", "/api/v1/members?query=***"),
        ("/api/v1/members?query=anna%40example.org&limit=5", "/api/v1/members?query=***&limit=5"),
        ("/api/v1/members/by-barcode/123456789012", "/api/v1/members/by-barcode/***"),
    ],
)
def test_redacted(url: str, expected: str) -> None:
    assert redact_url(url) == expected
